// Histograms of one metric for the four caption stages, as small multiples (one small bar chart
// per stage, same scale, titled and with axis titles and a count on every bar) or as one table.
// The bins of the current and human final stages link to the item browser: a click on a bar, and
// for the keyboard a link per bin under the chart (or in the table's count cells).
import { useId } from "react";
import { Link, useNavigate } from "react-router-dom";
import { Bar, BarChart, CartesianGrid, LabelList, XAxis, YAxis } from "recharts";

import type { PageFilters } from "../browser/filters";
import { captionsWord } from "../components/format";
import {
  binHref,
  binKey,
  binName,
  binRange,
  edgeText,
  LINKED_STAGES,
  METRIC_NAMES,
  METRIC_SHORT,
  METRIC_TITLES,
  STAGE_LABELS,
  STAGES,
  type Metric,
  type Stage,
} from "./model";
import { fillOf, PatternDefs, STAGE_FILLS, usePatternPrefix } from "./patterns";
import type { HistogramOutput, OverviewOutput } from "./types";

const CHART_WIDTH = 280;
const CHART_HEIGHT = 210;
/** Histograms with more bins than this get twice the width (two charts a row instead of four). */
const NARROW_BINS = 12;
const WIDE_CHART_WIDTH = 560;

function isWide(histogram: HistogramOutput): boolean {
  return histogram.counts.length > NARROW_BINS;
}

interface BinDatum {
  index: number;
  tick: string;
  count: number;
}

/** The text summary of one stage's histogram, for screen readers (the chart's aria-label). */
export function histogramSummary(stage: Stage, metric: Metric, histogram: HistogramOutput): string {
  const bins = histogram.counts.map((count, index) => `${binRange(histogram, index)}: ${count}`).join(", ");
  return `${STAGE_LABELS[stage]} captions by ${METRIC_NAMES[metric]}: ${bins}; without a value: ${histogram.missing}.`;
}

/** One link per bin: the keyboard's way to the bars. */
export function BinLink({
  datasetId,
  filters,
  stage,
  metric,
  histogram,
  index,
  children,
}: {
  datasetId: string;
  filters: PageFilters;
  stage: Stage;
  metric: Metric;
  histogram: HistogramOutput;
  index: number;
  children: React.ReactNode;
}) {
  return (
    <Link
      to={binHref(datasetId, filters, stage, histogram, index)}
      aria-label={binName(stage, metric, histogram, index)}
      data-bin={binKey(stage, metric, index)}
    >
      {children}
    </Link>
  );
}

function StageHistogram({
  datasetId,
  filters,
  stage,
  metric,
  histogram,
  captions,
  yMax,
}: {
  datasetId: string;
  filters: PageFilters;
  stage: Stage;
  metric: Metric;
  histogram: HistogramOutput;
  captions: number;
  yMax: number;
}) {
  const navigate = useNavigate();
  const captionId = useId();
  const prefix = usePatternPrefix();
  const fill = STAGE_FILLS[stage] ?? { texture: "solid", color: "#0b5cad" };
  const linked = LINKED_STAGES.has(stage);
  const data: BinDatum[] = histogram.counts.map((count, index) => ({
    index,
    tick: edgeText(histogram.edges[index] ?? 0),
    count,
  }));
  return (
    <figure className={`inspect-chart inspect-stage-${stage}`} aria-labelledby={captionId}>
      <figcaption id={captionId}>
        <span className="inspect-chart-title">{STAGE_LABELS[stage]}</span>{" "}
        <span className="visually-hidden">{METRIC_NAMES[metric]}</span>{" "}
        <span className="muted">· {captionsWord(captions)}</span>
      </figcaption>
      <BarChart
        width={isWide(histogram) ? WIDE_CHART_WIDTH : CHART_WIDTH}
        height={CHART_HEIGHT}
        data={data}
        margin={{ top: 18, right: 8, bottom: 22, left: 4 }}
        accessibilityLayer={false}
        role="img"
        aria-label={histogramSummary(stage, metric, histogram)}
        className={linked ? "inspect-linked-chart" : undefined}
      >
        <PatternDefs prefix={prefix} fills={{ [stage]: fill }} />
        <CartesianGrid vertical={false} stroke="#d0d7de" />
        <XAxis
          dataKey="tick"
          interval={0}
          tick={{ fontSize: 11 }}
          label={{ value: `${METRIC_SHORT[metric]} (bin start)`, position: "insideBottom", offset: -16, fontSize: 12 }}
        />
        <YAxis
          domain={[0, yMax]}
          allowDecimals={false}
          width={44}
          tick={{ fontSize: 11 }}
          label={{ value: "Captions", angle: -90, position: "insideLeft", offset: 10, fontSize: 12 }}
        />
        <Bar
          dataKey="count"
          name={STAGE_LABELS[stage]}
          fill={fillOf(prefix, stage, fill)}
          stroke={fill.color}
          isAnimationActive={false}
          minPointSize={1}
          onClick={
            linked
              ? (entry: { payload?: unknown }) => {
                  const datum = entry.payload as BinDatum | undefined;
                  if (datum) navigate(binHref(datasetId, filters, stage, histogram, datum.index));
                }
              : undefined
          }
        >
          <LabelList dataKey="count" position="top" fontSize={11} fill="#1b1f24" />
        </Bar>
      </BarChart>
      <p className="inspect-missing">
        Without a value: {histogram.missing.toLocaleString()}
      </p>
      {linked && (
        <ul className="inspect-bins" aria-label={`Items per ${STAGE_LABELS[stage].toLowerCase()} ${METRIC_NAMES[metric]} bin`}>
          {histogram.counts.map((count, index) => (
            <li key={index}>
              <BinLink
                datasetId={datasetId}
                filters={filters}
                stage={stage}
                metric={metric}
                histogram={histogram}
                index={index}
              >
                {binRange(histogram, index)}: {count.toLocaleString()}
              </BinLink>
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}

interface StageHistogramEntry {
  stage: Stage;
  captions: number;
  histogram: HistogramOutput;
}

function stageHistograms(overview: OverviewOutput, metric: Metric): StageHistogramEntry[] {
  const entries: StageHistogramEntry[] = [];
  for (const stage of STAGES) {
    const data = overview.stages[stage];
    const histogram = data?.histograms[metric];
    if (data && histogram) entries.push({ stage, captions: data.captions, histogram });
  }
  return entries;
}

/** The props of a metric's histograms, as charts or as a table. */
interface MetricProps {
  datasetId: string;
  filters: PageFilters;
  overview: OverviewOutput;
  metric: Metric;
}

/** The four stages' histograms of one metric, side by side on one scale. */
export function MetricHistograms({
  datasetId,
  filters,
  overview,
  metric,
}: MetricProps) {
  const entries = stageHistograms(overview, metric);
  if (entries.length === 0) return <p className="muted">No {METRIC_NAMES[metric]} figures yet.</p>;
  const yMax = Math.max(1, ...entries.flatMap((entry) => entry.histogram.counts));
  return (
    <div className={entries.some((entry) => isWide(entry.histogram)) ? "inspect-multiples is-wide" : "inspect-multiples"}>
      {entries.map((entry) => (
        <StageHistogram
          key={entry.stage}
          datasetId={datasetId}
          filters={filters}
          stage={entry.stage}
          metric={metric}
          histogram={entry.histogram}
          captions={entry.captions}
          yMax={yMax}
        />
      ))}
    </div>
  );
}

function sameEdges(entries: StageHistogramEntry[]): boolean {
  const first = entries[0]?.histogram.edges ?? [];
  return entries.every(
    (entry) =>
      entry.histogram.edges.length === first.length &&
      entry.histogram.edges.every((edge, index) => edge === first[index]),
  );
}

function CountCell({
  datasetId,
  filters,
  entry,
  metric,
  index,
}: {
  datasetId: string;
  filters: PageFilters;
  entry: StageHistogramEntry;
  metric: Metric;
  index: number;
}) {
  const count = entry.histogram.counts[index] ?? 0;
  return (
    <td className="inspect-num">
      {LINKED_STAGES.has(entry.stage) ? (
        <BinLink
          datasetId={datasetId}
          filters={filters}
          stage={entry.stage}
          metric={metric}
          histogram={entry.histogram}
          index={index}
        >
          {count.toLocaleString()}
        </BinLink>
      ) : (
        count.toLocaleString()
      )}
    </td>
  );
}

/** The same histograms as a table: a row per bin, a column per stage; linked counts. */
export function MetricHistogramTable({
  datasetId,
  filters,
  overview,
  metric,
}: MetricProps) {
  const entries = stageHistograms(overview, metric);
  if (entries.length === 0) return <p className="muted">No {METRIC_NAMES[metric]} figures yet.</p>;
  // Stages binned alike share one table; otherwise each stage gets its own.
  const groups = sameEdges(entries) ? [entries] : entries.map((entry) => [entry]);
  return (
    <>
      {groups.map((group) => {
        const reference = group[0]!.histogram;
        const title =
          group.length === 1
            ? `${METRIC_TITLES[metric]}, ${STAGE_LABELS[group[0]!.stage].toLowerCase()}: captions per bin`
            : `${METRIC_TITLES[metric]}: captions per bin and stage`;
        return (
          <div className="table-wrap" key={group.map((entry) => entry.stage).join("-")}>
            <table className="inspect-table">
              <caption>{title}</caption>
              <thead>
                <tr>
                  <th scope="col">{METRIC_SHORT[metric]}</th>
                  {group.map((entry) => (
                    <th scope="col" className="inspect-num" key={entry.stage}>
                      {STAGE_LABELS[entry.stage]}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {reference.counts.map((_count, index) => (
                  <tr key={index}>
                    <th scope="row">{binRange(reference, index)}</th>
                    {group.map((entry) => (
                      <CountCell
                        key={entry.stage}
                        datasetId={datasetId}
                        filters={filters}
                        entry={entry}
                        metric={metric}
                        index={index}
                      />
                    ))}
                  </tr>
                ))}
                <tr>
                  <th scope="row">Without a value</th>
                  {group.map((entry) => (
                    <td className="inspect-num" key={entry.stage}>
                      {entry.histogram.missing.toLocaleString()}
                    </td>
                  ))}
                </tr>
              </tbody>
            </table>
          </div>
        );
      })}
    </>
  );
}
