// The overview's other charts and their tables: facts by kind, how annotators judged each model
// configuration's facts, and progress per day. Every chart has a text summary (aria-label), a
// printed value on its bars and, where it has several series, textures and an HTML legend.
import { useId } from "react";
import { Bar, BarChart, CartesianGrid, LabelList, Tooltip, XAxis, YAxis } from "recharts";

import { count, percent } from "../components/format";
import { FACT_KINDS, kindWords } from "../workspace/types";
import { modelConfigLabel, shortDay } from "./model";
import { fillOf, Legend, PatternDefs, usePatternPrefix, type FillStyle } from "./patterns";
import type { ModelFactReviewOutput, ProgressDayOutput } from "./types";

// --- Facts by kind ------------------------------------------------------------------------------

/** The kinds in their usual order, then any other kind the server reports; missing kinds are 0. */
export function kindRows(factsByKind: Record<string, number>): { kind: string; label: string; facts: number }[] {
  const kinds = [
    ...FACT_KINDS,
    ...Object.keys(factsByKind).filter((kind) => !(FACT_KINDS as readonly string[]).includes(kind)),
  ];
  return kinds.map((kind) => ({ kind, label: kindWords(kind), facts: factsByKind[kind] ?? 0 }));
}

export function KindChart({ factsByKind }: { factsByKind: Record<string, number> }) {
  const captionId = useId();
  const rows = kindRows(factsByKind);
  const summary = `Facts of the current captions by kind: ${rows.map((row) => `${row.label} ${row.facts}`).join(", ")}.`;
  return (
    <figure className="inspect-chart inspect-wide" aria-labelledby={captionId}>
      <figcaption id={captionId}>
        <span className="inspect-chart-title">Facts of the current captions by kind</span>
      </figcaption>
      <BarChart
        width={620}
        height={60 + rows.length * 30}
        data={rows}
        layout="vertical"
        margin={{ top: 4, right: 48, bottom: 20, left: 8 }}
        accessibilityLayer={false}
        role="img"
        aria-label={summary}
      >
        <CartesianGrid horizontal={false} stroke="#d0d7de" />
        <XAxis
          type="number"
          allowDecimals={false}
          tick={{ fontSize: 11 }}
          label={{ value: "Facts", position: "insideBottom", offset: -14, fontSize: 12 }}
        />
        <YAxis type="category" dataKey="label" width={130} tick={{ fontSize: 12 }} interval={0} />
        <Bar dataKey="facts" name="Facts" fill="#0b5cad" isAnimationActive={false} barSize={18} minPointSize={1}>
          <LabelList dataKey="facts" position="right" fontSize={12} fill="#1b1f24" />
        </Bar>
      </BarChart>
    </figure>
  );
}

export function KindTable({ factsByKind }: { factsByKind: Record<string, number> }) {
  const rows = kindRows(factsByKind);
  return (
    <div className="table-wrap">
      <table className="inspect-table">
        <caption>Facts of the current captions by kind</caption>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col" className="inspect-num">
              Facts
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.kind}>
              <th scope="row">{row.label}</th>
              <td className="inspect-num">{count(row.facts)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// --- Model facts reviewed -----------------------------------------------------------------------

const REVIEW_FILLS: Record<"accepted" | "edited" | "rejected", FillStyle> = {
  accepted: { texture: "solid", color: "#1a7f37" },
  edited: { texture: "hatch", color: "#9a6700" },
  rejected: { texture: "dots", color: "#b3261e" },
};

const REVIEW_LABELS = { accepted: "Accepted as is", edited: "Edited", rejected: "Rejected" } as const;
const REVIEW_KEYS = ["accepted", "edited", "rejected"] as const;

function shareOf(review: ModelFactReviewOutput, key: (typeof REVIEW_KEYS)[number]): number {
  return review[`${key}_share`] ?? 0;
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

export function ModelReviewChart({ reviews }: { reviews: ModelFactReviewOutput[] }) {
  const captionId = useId();
  const prefix = usePatternPrefix();
  const data = reviews.map((review) => ({
    label: modelConfigLabel(review.model_name, review.prompt),
    accepted: shareOf(review, "accepted") * 100,
    edited: shareOf(review, "edited") * 100,
    rejected: shareOf(review, "rejected") * 100,
  }));
  const summary = `Model facts reviewed per model configuration: ${reviews
    .map(
      (review) =>
        `${modelConfigLabel(review.model_name, review.prompt)}: ${count(review.facts)} facts, ` +
        `${percent(review.accepted_share)} accepted as is, ${percent(review.edited_share)} edited, ` +
        `${percent(review.rejected_share)} rejected`,
    )
    .join("; ")}.`;
  return (
    <figure className="inspect-chart inspect-wide" aria-labelledby={captionId}>
      <figcaption id={captionId}>
        <span className="inspect-chart-title">Model facts reviewed, share per model configuration</span>
      </figcaption>
      <Legend
        entries={REVIEW_KEYS.map((key) => ({ label: REVIEW_LABELS[key], style: REVIEW_FILLS[key] }))}
      />
      <BarChart
        width={720}
        height={60 + reviews.length * 40}
        data={data}
        layout="vertical"
        margin={{ top: 4, right: 24, bottom: 20, left: 8 }}
        accessibilityLayer={false}
        role="img"
        aria-label={summary}
      >
        <PatternDefs prefix={prefix} fills={REVIEW_FILLS} />
        <XAxis
          type="number"
          domain={[0, 100]}
          ticks={[0, 25, 50, 75, 100]}
          unit="%"
          tick={{ fontSize: 11 }}
          label={{ value: "Share of the model's facts (%)", position: "insideBottom", offset: -14, fontSize: 12 }}
        />
        <YAxis
          type="category"
          dataKey="label"
          width={220}
          interval={0}
          tick={{ fontSize: 12 }}
          tickFormatter={(value: string) => truncate(value, 34)}
        />
        <Tooltip formatter={(value, name) => [`${Math.round(Number(value))}%`, String(name)]} />
        {REVIEW_KEYS.map((key) => (
          <Bar
            key={key}
            dataKey={key}
            name={REVIEW_LABELS[key]}
            stackId="review"
            fill={fillOf(prefix, key, REVIEW_FILLS[key])}
            stroke={REVIEW_FILLS[key].color}
            isAnimationActive={false}
            barSize={22}
          >
            <LabelList
              dataKey={key}
              position="center"
              fontSize={11}
              fill="#1b1f24"
              stroke="#ffffff"
              strokeWidth={3}
              paintOrder="stroke"
              formatter={(value: unknown) => (Number(value) >= 8 ? `${Math.round(Number(value))}%` : "")}
              className="inspect-segment-label"
            />
          </Bar>
        ))}
      </BarChart>
    </figure>
  );
}

export function ModelReviewTable({ reviews }: { reviews: ModelFactReviewOutput[] }) {
  return (
    <div className="table-wrap">
      <table className="inspect-table">
        <caption>Model facts reviewed per model configuration</caption>
        <thead>
          <tr>
            <th scope="col">Model configuration</th>
            <th scope="col" className="inspect-num">
              Annotations
            </th>
            <th scope="col" className="inspect-num">
              Facts
            </th>
            <th scope="col" className="inspect-num">
              Accepted as is
            </th>
            <th scope="col" className="inspect-num">
              Edited
            </th>
            <th scope="col" className="inspect-num">
              Rejected
            </th>
          </tr>
        </thead>
        <tbody>
          {reviews.map((review) => (
            <tr key={`${review.model_name}\u0000${review.prompt ?? ""}`}>
              <th scope="row">{modelConfigLabel(review.model_name, review.prompt)}</th>
              <td className="inspect-num">{count(review.annotations)}</td>
              <td className="inspect-num">{count(review.facts)}</td>
              <td className="inspect-num">
                {percent(review.accepted_share)} ({count(review.accepted)})
              </td>
              <td className="inspect-num">
                {percent(review.edited_share)} ({count(review.edited)})
              </td>
              <td className="inspect-num">
                {percent(review.rejected_share)} ({count(review.rejected)})
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// --- Progress -----------------------------------------------------------------------------------

const PROGRESS_FILLS: Record<"annotations_submitted" | "items_finalised", FillStyle> = {
  annotations_submitted: { texture: "solid", color: "#0b5cad" },
  items_finalised: { texture: "hatch", color: "#1a7f37" },
};

const PROGRESS_LABELS = {
  annotations_submitted: "Annotations submitted",
  items_finalised: "Items finalised",
} as const;

const PROGRESS_KEYS = ["annotations_submitted", "items_finalised"] as const;

/** Days with printed values on every bar; longer spans keep the axis and tooltips only. */
const LABELLED_DAYS = 31;

export function ProgressChart({ progress }: { progress: ProgressDayOutput[] }) {
  const captionId = useId();
  const prefix = usePatternPrefix();
  const data = progress.map((day) => ({ ...day, label: shortDay(day.day) }));
  const width = Math.min(2400, Math.max(520, 100 + progress.length * 52));
  const summary = `Progress per day: ${progress
    .map((day) => `${day.day}: ${day.annotations_submitted} annotations submitted, ${day.items_finalised} items finalised`)
    .join("; ")}.`;
  return (
    <figure className="inspect-chart inspect-wide" aria-labelledby={captionId}>
      <figcaption id={captionId}>
        <span className="inspect-chart-title">Annotations submitted and items finalised per day (UTC)</span>
      </figcaption>
      <Legend entries={PROGRESS_KEYS.map((key) => ({ label: PROGRESS_LABELS[key], style: PROGRESS_FILLS[key] }))} />
      <div className="inspect-scroll">
        <BarChart
          width={width}
          height={240}
          data={data}
          margin={{ top: 18, right: 12, bottom: 24, left: 4 }}
          accessibilityLayer={false}
          role="img"
          aria-label={summary}
        >
          <PatternDefs prefix={prefix} fills={PROGRESS_FILLS} />
          <CartesianGrid vertical={false} stroke="#d0d7de" />
          <XAxis
            dataKey="label"
            tick={{ fontSize: 11 }}
            label={{ value: "Day", position: "insideBottom", offset: -16, fontSize: 12 }}
          />
          <YAxis
            allowDecimals={false}
            width={44}
            tick={{ fontSize: 11 }}
            label={{ value: "Count", angle: -90, position: "insideLeft", offset: 10, fontSize: 12 }}
          />
          <Tooltip />
          {PROGRESS_KEYS.map((key) => (
            <Bar
              key={key}
              dataKey={key}
              name={PROGRESS_LABELS[key]}
              fill={fillOf(prefix, key, PROGRESS_FILLS[key])}
              stroke={PROGRESS_FILLS[key].color}
              isAnimationActive={false}
              maxBarSize={24}
              minPointSize={1}
            >
              {progress.length <= LABELLED_DAYS && (
                <LabelList dataKey={key} position="top" fontSize={11} fill="#1b1f24" />
              )}
            </Bar>
          ))}
        </BarChart>
      </div>
    </figure>
  );
}

export function ProgressTable({ progress }: { progress: ProgressDayOutput[] }) {
  return (
    <div className="table-wrap">
      <table className="inspect-table">
        <caption>Progress per day (UTC)</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col" className="inspect-num">
              Annotations submitted
            </th>
            <th scope="col" className="inspect-num">
              Items finalised
            </th>
          </tr>
        </thead>
        <tbody>
          {progress.map((day) => (
            <tr key={day.day}>
              <th scope="row">{day.day}</th>
              <td className="inspect-num">{count(day.annotations_submitted)}</td>
              <td className="inspect-num">{count(day.items_finalised)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
