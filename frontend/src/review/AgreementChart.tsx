// A horizontal bar chart, in plain SVG, of each annotator's share of verdicts that match the
// final verdicts (0-100%). The value is printed at the end of every bar and the whole chart
// has a text summary (aria-label), so nothing rests on colour or on seeing the bars.
import { percent } from "../components/format";
import type { Agreement } from "./model";

type AnnotatorRow = Agreement["annotators"][number];

const WIDTH = 640;
const LABEL_WIDTH = 150;
const VALUE_SPACE = 70;
const BAR_AREA = WIDTH - LABEL_WIDTH - VALUE_SPACE;
const ROW_HEIGHT = 30;
const BAR_HEIGHT = 18;
const TOP = 28;
const AXIS_SPACE = 48;
const TICKS = [0, 0.25, 0.5, 0.75, 1];

function valueText(share: number | null): string {
  return share === null ? "no data" : percent(share);
}

export function chartSummary(annotators: AnnotatorRow[]): string {
  const values = annotators.map((row) => `${row.annotator} ${valueText(row.matches_final)}`).join(", ");
  return `Share of each annotator's verdicts that match the final verdicts: ${values}.`;
}

export function AgreementChart({ annotators }: { annotators: AnnotatorRow[] }) {
  const height = TOP + annotators.length * ROW_HEIGHT + AXIS_SPACE;
  const axisY = TOP + annotators.length * ROW_HEIGHT;
  return (
    <svg
      className="agreement-chart"
      role="img"
      aria-label={chartSummary(annotators)}
      viewBox={`0 0 ${WIDTH} ${height}`}
      width={WIDTH}
      height={height}
      preserveAspectRatio="xMinYMin meet"
    >
      <text className="chart-axis-title" x={LABEL_WIDTH - 10} y={TOP - 10} textAnchor="end">
        Annotator
      </text>
      {TICKS.map((tick) => {
        const x = LABEL_WIDTH + tick * BAR_AREA;
        return (
          <g key={tick}>
            <line className="chart-grid" x1={x} x2={x} y1={TOP - 4} y2={axisY} />
            <text className="chart-tick" x={x} y={axisY + 16} textAnchor="middle">
              {`${Math.round(tick * 100)}%`}
            </text>
          </g>
        );
      })}
      {annotators.map((row, index) => {
        const y = TOP + index * ROW_HEIGHT;
        const share = row.matches_final === null ? 0 : Math.min(1, Math.max(0, row.matches_final));
        const barWidth = share * BAR_AREA;
        return (
          <g key={row.annotator}>
            <text className="chart-label" x={LABEL_WIDTH - 10} y={y + ROW_HEIGHT / 2 + 4} textAnchor="end">
              {row.annotator}
            </text>
            <rect
              className="chart-bar"
              x={LABEL_WIDTH}
              y={y + (ROW_HEIGHT - BAR_HEIGHT) / 2}
              width={barWidth}
              height={BAR_HEIGHT}
            />
            <text className="chart-value" x={LABEL_WIDTH + barWidth + 6} y={y + ROW_HEIGHT / 2 + 4}>
              {valueText(row.matches_final)}
            </text>
          </g>
        );
      })}
      <line className="chart-axis" x1={LABEL_WIDTH} x2={LABEL_WIDTH + BAR_AREA} y1={axisY} y2={axisY} />
      <line className="chart-axis" x1={LABEL_WIDTH} x2={LABEL_WIDTH} y1={TOP - 4} y2={axisY} />
      <text className="chart-axis-title" x={LABEL_WIDTH + BAR_AREA / 2} y={axisY + 38} textAnchor="middle">
        Verdicts matching the final verdicts (%)
      </text>
    </svg>
  );
}
