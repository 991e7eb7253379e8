import { csvCell, downloadCsv, overviewCsvRows, toCsv } from "./csv";
import type { DatasetGapsOutput, OverviewOutput } from "./types";

const OVERVIEW: OverviewOutput = {
  items: { total: 14, done: 3, with_caption: 12 },
  stages: {
    current: {
      captions: 12,
      means: { facts: 7.25, density: 11.2, coverage: 0.7, vqa_support: null },
      histograms: {
        facts: { param: "fact_count", edges: [0, 4, 8, 12], counts: [1, 5, 6], missing: 0 },
        coverage: { param: "coverage", edges: [0, 0.5, 1], counts: [3, 7], missing: 2 },
      },
    },
    import: {
      captions: 14,
      means: { facts: 6, density: 10, coverage: 0.6, vqa_support: 0.8 },
      histograms: {},
    },
  },
  lift: {
    import_to_human_final: { facts: 2.9, coverage: null },
    import_to_model: { facts: -1.5 },
  },
  facts_by_kind: { scene: 4, object: 40 },
  model_fact_review: [
    {
      model_name: "blip-large",
      prompt: 'Say "how many", then colours',
      annotations: 4,
      facts: 20,
      accepted: 12,
      edited: 5,
      rejected: 3,
      accepted_share: 0.6,
      edited_share: 0.25,
      rejected_share: 0.15,
    },
  ],
  progress: [{ day: "2026-12-04", annotations_submitted: 5, items_finalised: 2 }],
};

const GAPS: DatasetGapsOutput = {
  items: 12,
  compared_with: "final",
  captions_compared: 3,
  unsupported_vqa: {
    pairs: 9,
    items: 6,
    prompt: "p",
    top_questions: [{ question: "What colour, exactly, is the suit?", pairs: 3 }],
  },
  missing_kinds: [{ kind: "count", share: 0.67, items_lacking: 5, prompt: "p" }],
  entities: [{ key: "=cmd", label: "X", knowledge_base: "demo", items: 2, items_missing_facts: 1, prompt: "p" }],
};

describe("csvCell", () => {
  it("writes numbers as they are, null as empty, and quotes text only where it must", () => {
    expect(csvCell(0.1)).toBe("0.1");
    expect(csvCell(-3)).toBe("-3");
    expect(csvCell(null)).toBe("");
    expect(csvCell(undefined)).toBe("");
    expect(csvCell(Number.NaN)).toBe("");
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell("=SUM(A1)")).toBe("'=SUM(A1)");
    expect(csvCell("-1 apple, two")).toBe("\"'-1 apple, two\"");
  });
});

describe("overviewCsvRows and toCsv", () => {
  it("writes every number of the overview and the gap summary, stages and metrics in their order", () => {
    const expected = [
      "section,stage,key,metric,bin_low,bin_high,value",
      "items,,,total,,,14",
      "items,,,done,,,3",
      "items,,,with_caption,,,12",
      "captions,import,,captions,,,14",
      "mean,import,,facts,,,6",
      "mean,import,,density,,,10",
      "mean,import,,coverage,,,0.6",
      "mean,import,,vqa_support,,,0.8",
      "captions,current,,captions,,,12",
      "mean,current,,facts,,,7.25",
      "mean,current,,density,,,11.2",
      "mean,current,,coverage,,,0.7",
      "mean,current,,vqa_support,,,",
      "histogram,current,,facts,0,4,1",
      "histogram,current,,facts,4,8,5",
      "histogram,current,,facts,8,,6",
      "histogram_missing,current,,facts,,,0",
      "histogram,current,,coverage,0,0.5,3",
      "histogram,current,,coverage,0.5,,7",
      "histogram_missing,current,,coverage,,,2",
      "lift,import_to_model,,facts,,,-1.5",
      "lift,import_to_human_final,,facts,,,2.9",
      "lift,import_to_human_final,,coverage,,,",
      "facts_by_kind,,object,facts,,,40",
      "facts_by_kind,,scene,facts,,,4",
      'model_fact_review,,"blip-large · “Say ""how many"", then colours”",annotations,,,4',
      'model_fact_review,,"blip-large · “Say ""how many"", then colours”",facts,,,20',
      'model_fact_review,,"blip-large · “Say ""how many"", then colours”",accepted,,,12',
      'model_fact_review,,"blip-large · “Say ""how many"", then colours”",edited,,,5',
      'model_fact_review,,"blip-large · “Say ""how many"", then colours”",rejected,,,3',
      'model_fact_review,,"blip-large · “Say ""how many"", then colours”",accepted_share,,,0.6',
      'model_fact_review,,"blip-large · “Say ""how many"", then colours”",edited_share,,,0.25',
      'model_fact_review,,"blip-large · “Say ""how many"", then colours”",rejected_share,,,0.15',
      "progress,,2026-12-04,annotations_submitted,,,5",
      "progress,,2026-12-04,items_finalised,,,2",
      "gaps,,final,items,,,12",
      "gaps,,final,captions_compared,,,3",
      "gaps_unsupported_vqa,,,pairs,,,9",
      "gaps_unsupported_vqa,,,items,,,6",
      'gaps_top_question,,"What colour, exactly, is the suit?",pairs,,,3',
      "gaps_missing_kind,,count,share,,,0.67",
      "gaps_missing_kind,,count,items_lacking,,,5",
      "gaps_entity,,'=cmd,items,,,2",
      "gaps_entity,,'=cmd,items_missing_facts,,,1",
    ];
    expect(toCsv(overviewCsvRows(OVERVIEW, GAPS))).toBe(`${expected.join("\r\n")}\r\n`);
  });

  it("leaves the gap rows out when there is no gap summary", () => {
    const text = toCsv(overviewCsvRows(OVERVIEW, null));
    expect(text).not.toContain("gaps");
    expect(text.endsWith("progress,,2026-12-04,items_finalised,,,2\r\n")).toBe(true);
  });
});

/** A blob's text (jsdom's Blob has no text()). */
function readBlob(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(blob);
  });
}

describe("downloadCsv", () => {
  it("saves the text through an object URL and a temporary download link", async () => {
    vi.useFakeTimers();
    const blobs: Blob[] = [];
    const create = vi.fn((blob: Blob) => {
      blobs.push(blob);
      return "blob:csv-1";
    });
    const revoke = vi.fn();
    Object.assign(URL, { createObjectURL: create, revokeObjectURL: revoke });
    const clicked: HTMLAnchorElement[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    try {
      downloadCsv("street-overview.csv", "a,b\r\n1,2\r\n");
      expect(clicked).toHaveLength(1);
      expect(clicked[0]!.download).toBe("street-overview.csv");
      expect(clicked[0]!.getAttribute("href")).toBe("blob:csv-1");
      expect(clicked[0]!.isConnected).toBe(false);
      expect(blobs[0]!.type).toBe("text/csv;charset=utf-8");
      expect(revoke).not.toHaveBeenCalled();
      vi.runAllTimers();
      expect(revoke).toHaveBeenCalledWith("blob:csv-1");
    } finally {
      click.mockRestore();
      vi.useRealTimers();
    }
    expect(await readBlob(blobs[0]!)).toBe("a,b\r\n1,2\r\n");
  });
});
