import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ["browser"] },
  build: { target: "es2022", chunkSizeWarningLimit: 2000 },
});
