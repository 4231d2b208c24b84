import { useEffect, useMemo } from "react";

export interface GalleryImage {
  index: number;
  png: Uint8Array;
  phash: string;
}

/** The task's images, each with its verified pHash. */
export function Gallery({ taskId, images }: { taskId: string; images: GalleryImage[] }) {
  const urls = useMemo(
    () => images.map((image) => URL.createObjectURL(new Blob([image.png as BlobPart], { type: "image/png" }))),
    [images],
  );
  useEffect(
    () => () => {
      for (const url of urls) URL.revokeObjectURL(url);
    },
    [urls],
  );
  return (
    <div className="gallery" data-testid="gallery">
      {images.map((image, i) => (
        <figure key={image.index}>
          <a href={urls[i]} download={`task-${taskId}-${image.index}.png`}>
            <img src={urls[i]} alt={`task ${taskId}, result ${image.index}`} />
          </a>
          <figcaption title="pHash, checked against the on-chain result">{image.phash.slice(2)} ✓</figcaption>
        </figure>
      ))}
    </div>
  );
}
