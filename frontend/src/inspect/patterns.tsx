// Fills of the inspection charts. Every series has its own colour and its own texture (solid,
// hatched, dotted, cross-hatched), so series stay apart in grey scale and for colour-blind
// readers; legends show the same textures as small swatches.
import { useId } from "react";

export type Texture = "solid" | "hatch" | "dots" | "cross";

export interface FillStyle {
  texture: Texture;
  color: string;
}

export const STAGE_FILLS: Record<string, FillStyle> = {
  import: { texture: "hatch", color: "#57606a" },
  model: { texture: "dots", color: "#8250df" },
  human_final: { texture: "cross", color: "#1a7f37" },
  current: { texture: "solid", color: "#0b5cad" },
};

/** A prefix for pattern ids that is unique on the page and valid inside url(#…). */
export function usePatternPrefix(): string {
  return `p${useId().replace(/[^a-zA-Z0-9_-]/g, "")}`;
}

export function patternId(prefix: string, name: string): string {
  return `${prefix}-${name}`;
}

/** The `fill` of a shape drawn with `style`: the colour itself, or its pattern. */
export function fillOf(prefix: string, name: string, style: FillStyle): string {
  return style.texture === "solid" ? style.color : `url(#${patternId(prefix, name)})`;
}

/** One <pattern> element, to be placed inside an SVG's <defs>. */
export function PatternDef({ id, style }: { id: string; style: FillStyle }) {
  if (style.texture === "solid") return null;
  return (
    <pattern id={id} width={6} height={6} patternUnits="userSpaceOnUse">
      <rect width={6} height={6} fill="#ffffff" />
      {style.texture === "hatch" && <path d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2" stroke={style.color} strokeWidth={1.6} />}
      {style.texture === "dots" && <circle cx={3} cy={3} r={1.6} fill={style.color} />}
      {style.texture === "cross" && (
        <path d="M0,0 L6,6 M6,0 L0,6" stroke={style.color} strokeWidth={1.2} />
      )}
    </pattern>
  );
}

/** The <defs> of a chart: one pattern per named fill. */
export function PatternDefs({ prefix, fills }: { prefix: string; fills: Record<string, FillStyle> }) {
  return (
    <defs>
      {Object.entries(fills).map(([name, style]) => (
        <PatternDef key={name} id={patternId(prefix, name)} style={style} />
      ))}
    </defs>
  );
}

/** A legend swatch with its own pattern, hidden from assistive technology (the label is text). */
export function Swatch({ style }: { style: FillStyle }) {
  const prefix = usePatternPrefix();
  const id = patternId(prefix, "swatch");
  return (
    <svg className="inspect-swatch" width={18} height={12} aria-hidden="true" focusable="false">
      <defs>
        <PatternDef id={id} style={style} />
      </defs>
      <rect
        x={0.5}
        y={0.5}
        width={17}
        height={11}
        fill={style.texture === "solid" ? style.color : `url(#${id})`}
        stroke={style.color}
      />
    </svg>
  );
}

/** An HTML legend: swatch and words for each series. */
export function Legend({ entries }: { entries: { label: string; style: FillStyle }[] }) {
  return (
    <ul className="inspect-legend">
      {entries.map((entry) => (
        <li key={entry.label}>
          <Swatch style={entry.style} />
          {entry.label}
        </li>
      ))}
    </ul>
  );
}
