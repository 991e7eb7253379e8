import {
  addressParams,
  browserPath,
  cleanFilters,
  countPath,
  describeFilter,
  filterChips,
  filterProblems,
  filtersBody,
  joinKinds,
  kindsOf,
  listPath,
  readQuery,
  sharePercent,
  sortLabel,
  withFilter,
  withoutFilter,
} from "./filters";

const read = (query: string) => readQuery(new URLSearchParams(query));

describe("readQuery", () => {
  it("reads every filter of the contract and the sort, and nothing else", () => {
    const query = read(
      "status=done&origin=none&fact_count_min=2&fact_count_max=9&fact_count_below=5&density_min=1.5" +
        "&density_max=20&density_below=10&coverage_min=0&coverage_max=0.9&coverage_below=0.1" +
        "&vqa_support_min=0.2&vqa_support_max=1&vqa_support_below=1&has_kind=count,object" +
        "&lacks_kind=scene&entity=sts-93&has_open_review=false&q=red+car&sort=-density&view=grid&cursor=abc",
    );
    expect(query).toEqual({
      filters: {
        status: "done",
        origin: "none",
        fact_count_min: "2",
        fact_count_max: "9",
        fact_count_below: "5",
        density_min: "1.5",
        density_max: "20",
        density_below: "10",
        coverage_min: "0",
        coverage_max: "0.9",
        coverage_below: "0.1",
        vqa_support_min: "0.2",
        vqa_support_max: "1",
        vqa_support_below: "1",
        has_kind: "count,object",
        lacks_kind: "scene",
        entity: "sts-93",
        has_open_review: "false",
        q: "red car",
      },
      sort: "-density",
    });
  });

  it("leaves out empty values and unknown sorts", () => {
    expect(read("status=&q=%20%20&sort=colour")).toEqual({ filters: {}, sort: "" });
  });
});

describe("API paths", () => {
  it("turns coverage_min=0&coverage_below=0.1 into exactly that query", () => {
    const query = read("coverage_min=0&coverage_below=0.1");
    expect(listPath(4, query)).toBe("/datasets/4/items/?coverage_min=0&coverage_below=0.1");
    expect(countPath(4, query.filters)).toBe("/datasets/4/items/count/?coverage_min=0&coverage_below=0.1");
  });

  it("adds the sort and the cursor after the filters, and nothing when there are none", () => {
    const query = read("sort=-coverage&lacks_kind=count&status=pending");
    expect(listPath(4, query, "c2")).toBe("/datasets/4/items/?status=pending&lacks_kind=count&sort=-coverage&cursor=c2");
    expect(listPath(4, { filters: {}, sort: "" })).toBe("/datasets/4/items/");
    expect(countPath(4, {})).toBe("/datasets/4/items/count/");
  });

  it("writes the address the page reads back", () => {
    const query = read("q=red car&has_kind=object,count&sort=priority");
    expect(addressParams(query).toString()).toBe("has_kind=object%2Ccount&q=red+car&sort=priority");
    expect(read(addressParams(query).toString())).toEqual(query);
    expect(browserPath(4, query)).toBe("/datasets/4/items?has_kind=object%2Ccount&q=red+car&sort=priority");
    expect(browserPath(4)).toBe("/datasets/4/items");
  });
});

describe("filtersBody", () => {
  it("sends numbers as numbers and has_open_review as a boolean", () => {
    expect(
      filtersBody({
        status: "pending",
        coverage_min: "0",
        coverage_below: "0.1",
        fact_count_max: "12",
        has_kind: "count,object",
        has_open_review: "true",
        q: "car",
      }),
    ).toEqual({
      status: "pending",
      coverage_min: 0,
      coverage_below: 0.1,
      fact_count_max: 12,
      has_kind: "count,object",
      has_open_review: true,
      q: "car",
    });
  });

  it("sends values that are not numbers as they are, for the server to name", () => {
    expect(filtersBody({ density_min: "lots", has_open_review: "maybe" })).toEqual({
      density_min: "lots",
      has_open_review: "maybe",
    });
  });
});

describe("kinds", () => {
  it("splits and joins kinds in the fact-kind order", () => {
    expect(kindsOf("count, object,,count")).toEqual(["count", "object"]);
    expect(kindsOf(undefined)).toEqual([]);
    expect(joinKinds(["world_knowledge", "count", "object"])).toBe("object,count,world_knowledge");
    expect(joinKinds([])).toBeUndefined();
  });
});

describe("chips and words", () => {
  it("describes each active filter", () => {
    expect(describeFilter("coverage_below", "0.1")).toBe("Coverage below 10%");
    expect(describeFilter("vqa_support_min", "0.125")).toBe("VQA support at least 12.5%");
    expect(describeFilter("density_max", "12.5")).toBe("Density at most 12.5");
    expect(describeFilter("fact_count_min", "3")).toBe("Facts at least 3");
    expect(describeFilter("status", "in_review")).toBe("Status: In review");
    expect(describeFilter("origin", "none")).toBe("Caption origin: No caption");
    expect(describeFilter("has_kind", "count,text_in_image")).toBe("Has Count, Text in image");
    expect(describeFilter("lacks_kind", "scene")).toBe("Lacks Scene");
    expect(describeFilter("entity", "sts-93")).toBe("Entity: sts-93");
    expect(describeFilter("has_open_review", "true")).toBe("With an open review");
    expect(describeFilter("q", "red car")).toBe("Caption contains “red car”");
    expect(sharePercent(0.35)).toBe("35%");
    expect(sortLabel("-vqa_support")).toBe("VQA support, highest first");
    expect(sortLabel("id")).toBe("Id, lowest first");
  });

  it("lists the chips in address order and removes one", () => {
    const { filters } = read("coverage_below=0.1&coverage_min=0&status=done");
    expect(filterChips(filters)).toEqual([
      { key: "status", label: "Status: Done" },
      { key: "coverage_min", label: "Coverage at least 0%" },
      { key: "coverage_below", label: "Coverage below 10%" },
    ]);
    expect(withoutFilter(filters, "coverage_below")).toEqual({ status: "done", coverage_min: "0" });
    expect(withFilter(filters, "status", "")).toEqual({ coverage_min: "0", coverage_below: "0.1" });
    expect(withFilter(filters, "colour", "red")).toBe(filters);
  });
});

describe("filterProblems", () => {
  it("checks numbers, shares, bounds and kinds", () => {
    expect(filterProblems({ coverage_min: "0", coverage_below: "0.1" })).toEqual([]);
    expect(
      filterProblems({
        density_min: "abc",
        coverage_max: "1.5",
        fact_count_min: "5",
        fact_count_max: "3",
        vqa_support_min: "-1",
        has_kind: "count,object",
        lacks_kind: "count",
      }),
    ).toEqual([
      "Facts: “at least” must not exceed “at most”.",
      "Density at least: give a number.",
      "Coverage at most: give a share from 0 to 1.",
      "VQA support at least: give a number of at least 0.",
      "A kind cannot be both present and missing: Count.",
    ]);
  });
});

describe("cleanFilters", () => {
  it("drops empty values and trims the rest", () => {
    expect(filterProblems({ coverage_min: "  " })).toEqual([]);
    expect(cleanFilters({ coverage_min: "", q: " red car ", status: "done" })).toEqual({ status: "done", q: "red car" });
  });
});
