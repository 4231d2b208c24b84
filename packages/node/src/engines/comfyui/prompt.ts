/**
 * Task prompts weight words with `+`/`-` suffixes (spec §9, the compel convention: `word+`,
 * `(two words)--`); ComfyUI weights with `(text:1.1)`. Each `+` multiplies by 1.1 and each `-`
 * by 0.9, as compel does.
 */
export function toComfyPrompt(prompt: string): string {
  return prompt.replace(
    /(\([^()]*\)|[^\s,()+-][^\s,()]*?)(\++|-+)(?=[\s,]|$)/g,
    (_match, term: string, marks: string) => {
      const factor = (marks.startsWith("+") ? 1.1 : 0.9) ** marks.length;
      const inner = term.startsWith("(") ? term.slice(1, -1) : term;
      return `(${inner}:${Number(factor.toFixed(4))})`;
    },
  );
}
