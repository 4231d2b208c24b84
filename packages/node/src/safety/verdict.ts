/** The classes the classifier scores (nsfwjs's MobileNetV2), in its output order. */
export const SAFETY_CLASSES = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"] as const;
export type SafetyClass = (typeof SAFETY_CLASSES)[number];

/** The classes an image is filtered for. */
export const UNSAFE_CLASSES: readonly SafetyClass[] = ["Hentai", "Porn", "Sexy"];

/** An image is flagged when its unsafe classes together score at least this. */
export const FLAG_THRESHOLD = 0.5;

/** What the checker says of one image. */
export interface SafetyVerdict {
  flagged: boolean;
  /** Each class's probability, as the classifier gave it. */
  scores: Record<SafetyClass, number>;
}

export function verdictOf(probabilities: ArrayLike<number>): SafetyVerdict {
  const scores = Object.fromEntries(SAFETY_CLASSES.map((c, i) => [c, probabilities[i] ?? 0])) as Record<
    SafetyClass,
    number
  >;
  const unsafe = UNSAFE_CLASSES.reduce((sum, c) => sum + scores[c], 0);
  return { flagged: unsafe >= FLAG_THRESHOLD, scores };
}
