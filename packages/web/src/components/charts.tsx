/** Small SVG charts: pictures of the network rather than tables of numbers. */

export interface Slice {
  label: string;
  value: number;
  color: string;
}

/** A donut of parts of a whole, with a legend. */
export function Donut({ slices, title }: { slices: Slice[]; title: string }) {
  const total = slices.reduce((sum, s) => sum + s.value, 0);
  const radius = 60;
  const circumference = 2 * Math.PI * radius;
  let offset = 0;
  return (
    <figure className="chart" data-testid="outcomes">
      <svg viewBox="0 0 160 160" width="160" height="160" role="img" aria-label={title}>
        <circle cx="80" cy="80" r={radius} fill="none" stroke="#eee" strokeWidth="24" />
        {slices
          .filter((s) => s.value > 0)
          .map((s) => {
            const length = (s.value / total) * circumference;
            const arc = (
              <circle
                key={s.label}
                cx="80"
                cy="80"
                r={radius}
                fill="none"
                stroke={s.color}
                strokeWidth="24"
                strokeDasharray={`${length} ${circumference - length}`}
                strokeDashoffset={-offset}
                transform="rotate(-90 80 80)"
              >
                <title>{`${s.label}: ${s.value}`}</title>
              </circle>
            );
            offset += length;
            return arc;
          })}
        <text x="80" y="86" textAnchor="middle" fontSize="22">
          {total}
        </text>
      </svg>
      <figcaption>
        {title}
        <Legend slices={slices} />
      </figcaption>
    </figure>
  );
}

export function Legend({ slices }: { slices: Slice[] }) {
  return (
    <ul className="legend">
      {slices.map((s) => (
        <li key={s.label}>
          <span className="swatch" style={{ background: s.color }} /> {s.label} {s.value}
        </li>
      ))}
    </ul>
  );
}

export interface Bar {
  label: string;
  /** Stacked parts, bottom first. */
  parts: Slice[];
}

/** Vertical stacked bars (e.g. tasks per minute by outcome). */
export function StackedBars({ bars, title, testId }: { bars: Bar[]; title: string; testId: string }) {
  const max = Math.max(1, ...bars.map((b) => b.parts.reduce((sum, p) => sum + p.value, 0)));
  const width = Math.max(240, bars.length * 18);
  const height = 120;
  const barWidth = Math.min(40, width / Math.max(bars.length, 1) - 4);
  return (
    <figure className="chart" data-testid={testId}>
      <svg viewBox={`0 0 ${width} ${height + 16}`} width="100%" height={height + 16} role="img" aria-label={title}>
        {bars.map((bar, i) => {
          let y = height;
          return (
            <g key={bar.label} transform={`translate(${i * (barWidth + 4)},0)`}>
              {bar.parts.map((part) => {
                const h = (part.value / max) * (height - 10);
                y -= h;
                return (
                  <rect key={part.label} x="0" y={y} width={barWidth} height={h} fill={part.color}>
                    <title>{`${bar.label} ${part.label}: ${part.value}`}</title>
                  </rect>
                );
              })}
            </g>
          );
        })}
        <line x1="0" x2={width} y1={height} y2={height} stroke="#999" />
        <text x="0" y={height + 13} fontSize="10">
          {bars[0]?.label ?? ""}
        </text>
        <text x={width} y={height + 13} fontSize="10" textAnchor="end">
          {bars.at(-1)?.label ?? ""}
        </text>
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}

/** Horizontal bars, one per item (e.g. stake per node). */
export function HorizontalBars({ items, title, testId }: { items: Slice[]; title: string; testId: string }) {
  const max = Math.max(1, ...items.map((i) => i.value));
  return (
    <figure className="chart" data-testid={testId}>
      <svg
        viewBox={`0 0 300 ${items.length * 22 + 4}`}
        width="100%"
        height={items.length * 22 + 4}
        role="img"
        aria-label={title}
      >
        {items.map((item, i) => (
          <g key={item.label} transform={`translate(0,${i * 22})`}>
            <text x="0" y="15" fontSize="11">
              {item.label}
            </text>
            <rect x="90" y="4" width={(item.value / max) * 200} height="14" fill={item.color}>
              <title>{`${item.label}: ${item.value}`}</title>
            </rect>
          </g>
        ))}
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}
