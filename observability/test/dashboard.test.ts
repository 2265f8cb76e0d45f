/** The Grafana dashboard: current panel types, the provisioned datasource, queries that parse and
 * name only catalogue metrics, counters through rate() and histograms through their buckets. */

import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { CATALOGUE } from "@crpipeline/telemetry";
import { requireCommand, tempDir } from "@crpipeline/testing";
import { stringify } from "yaml";
import {
  catalogueMetric,
  DASHBOARD,
  DASHBOARD_PROVIDERS,
  DATASOURCES,
  escapeRegExp,
  PROMETHEUS_CONFIG,
  promtool,
  readYaml,
  selectedSeries,
} from "./observability.test-utils.ts";

interface Target {
  refId: string;
  expr: string;
  legendFormat?: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos?: { x: number; y: number; w: number; h: number };
  fieldConfig?: { defaults?: { unit?: string } };
  options?: { legend?: { showLegend?: boolean } };
  targets?: Target[];
}
interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  refresh?: string;
  panels: Panel[];
}
interface Datasources {
  datasources: { type: string; uid: string; url: string; jsonData?: { timeInterval?: string } }[];
}
interface Providers {
  providers: { type: string; options: { path: string } }[];
}

// Panel types Grafana removed or replaced by the timeseries/stat/table panels.
const LEGACY_PANEL_TYPES = ["graph", "singlestat", "table-old", "grafana-piechart-panel"];

// The panels of the original monitoring document, which operators already know.
const ORIGINAL_PANELS = [
  "Stage duration",
  "Job duration",
  "Jobs processed",
  "S3 errors",
  "OCR duration",
  "AI/OCR failures",
  "Login failures",
  "Rate limit fallbacks",
];

// Grafana's interval variables, given a value so promtool can parse the queries.
const GRAFANA_INTERVALS: Record<string, string> = {
  $__rate_interval: "1m",
  $__interval: "15s",
  $__range: "1h",
};

const hasPromtool = await requireCommand("promtool");
const dashboard = (await Bun.file(DASHBOARD).json()) as Dashboard;
const { datasources } = await readYaml<Datasources>(DATASOURCES);
const [datasource] = datasources;
if (!datasource) throw new Error(`${DATASOURCES} provisions no datasource`);
const panels = dashboard.panels;
const targets = panels.flatMap((panel) =>
  (panel.targets ?? []).map((target) => ({ panel, target })),
);
const tmp = tempDir("crp-dashboard-");
afterAll(() => tmp.cleanup());

function where(panel: Panel, target?: Target): string {
  return target ? `${panel.title} [${target.refId}]` : panel.title;
}

describe("grafana provisioning", () => {
  test("provisions one Prometheus datasource at the compose service address", () => {
    expect(datasources).toHaveLength(1);
    expect(datasource).toMatchObject({ type: "prometheus", url: "http://prometheus:9090" });
    expect(datasource.uid).toBeTruthy();
  });

  test("tells Grafana the scrape interval, so $__rate_interval spans enough scrapes", async () => {
    const config = await readYaml<{ global: { scrape_interval: string } }>(PROMETHEUS_CONFIG);
    expect(datasource.jsonData?.timeInterval).toBe(config.global.scrape_interval);
  });

  test("loads dashboards from the directory compose and Kubernetes mount them at", async () => {
    const { providers } = await readYaml<Providers>(DASHBOARD_PROVIDERS);
    expect(providers).toEqual([
      expect.objectContaining({
        type: "file",
        options: expect.objectContaining({ path: "/var/lib/grafana/dashboards" }),
      }),
    ]);
  });
});

describe("crpipeline.json", () => {
  test("is a current dashboard with a uid, a title and a refresh", () => {
    expect(dashboard.uid).toBeTruthy();
    expect(dashboard.title).toBeTruthy();
    expect(dashboard.refresh).toBeTruthy();
    expect(dashboard.schemaVersion ?? 0).toBeGreaterThanOrEqual(39);
  });

  test("keeps every panel of the original monitoring document", () => {
    const titles = panels.map((panel) => panel.title.toLowerCase());
    const missing = ORIGINAL_PANELS.filter((title) => !titles.includes(title.toLowerCase()));
    expect(missing).toEqual([]);
  });

  test("uses only timeseries panels, no removed legacy types", () => {
    const legacy = panels.filter((panel) => LEGACY_PANEL_TYPES.includes(panel.type));
    expect(legacy.map((panel) => `${panel.title}: ${panel.type}`)).toEqual([]);
    expect(new Set(panels.map((panel) => panel.type))).toEqual(new Set(["timeseries"]));
  });

  test("points every panel and query at the provisioned datasource uid", () => {
    const expected = { type: "prometheus", uid: datasource.uid };
    const wrong = [
      ...panels
        .filter((panel) => !Bun.deepEquals(panel.datasource, expected))
        .map((panel) => where(panel)),
      ...targets
        .filter(({ target }) => target.datasource && !Bun.deepEquals(target.datasource, expected))
        .map(({ panel, target }) => where(panel, target)),
    ];
    expect(wrong).toEqual([]);
  });

  test("gives every panel a unit, a legend, unique id and a place on a 24-column grid", () => {
    const ids = new Set(panels.map((panel) => panel.id));
    expect(ids.size).toBe(panels.length);

    const broken = panels.filter((panel) => {
      const grid = panel.gridPos;
      return (
        !grid ||
        grid.w <= 0 ||
        grid.h <= 0 ||
        grid.x < 0 ||
        grid.x + grid.w > 24 ||
        !panel.fieldConfig?.defaults?.unit ||
        panel.options?.legend?.showLegend !== true ||
        (panel.targets ?? []).length === 0 ||
        (panel.targets ?? []).some((target) => !target.legendFormat)
      );
    });
    expect(broken.map((panel) => where(panel))).toEqual([]);
  });

  test("lays panels out without overlap", () => {
    const cells = new Map<string, string>();
    const overlaps: string[] = [];
    for (const panel of panels) {
      const { x, y, w, h } = panel.gridPos ?? { x: 0, y: 0, w: 0, h: 0 };
      for (let col = x; col < x + w; col++) {
        for (let row = y; row < y + h; row++) {
          const owner = cells.get(`${col},${row}`);
          if (owner) overlaps.push(`${panel.title} / ${owner}`);
          cells.set(`${col},${row}`, panel.title);
        }
      }
    }
    expect([...new Set(overlaps)]).toEqual([]);
  });

  test("names only catalogue metrics, and shows every catalogue metric somewhere", () => {
    const unknown = targets.flatMap(({ panel, target }) =>
      selectedSeries(target.expr)
        .filter((series) => !catalogueMetric(series))
        .map((series) => `${where(panel, target)}: ${series}`),
    );
    expect(unknown).toEqual([]);

    const shown = new Set(
      targets.flatMap(({ target }) =>
        selectedSeries(target.expr).map((series) => catalogueMetric(series)?.name),
      ),
    );
    expect(CATALOGUE.map((spec) => spec.name).filter((name) => !shown.has(name))).toEqual([]);
  });

  test("reads counters through rate() or increase() and histograms through quantiles of buckets", () => {
    const misuse: string[] = [];
    for (const { panel, target } of targets) {
      for (const series of selectedSeries(target.expr)) {
        const spec = catalogueMetric(series);
        const name = escapeRegExp(series);
        const uses = target.expr.match(new RegExp(`\\b${name}\\b`, "g"))?.length ?? 0;
        const ranged = new RegExp(`\\b(?:rate|increase)\\(${name}(?:\\{[^}]*\\})?\\[`, "g");
        const inRate = target.expr.match(ranged)?.length ?? 0;

        if (spec?.type === "counter" && inRate !== uses) {
          misuse.push(`${where(panel, target)}: counter ${series} outside rate()`);
        }
        if (spec?.type === "histogram") {
          const quantile =
            series.endsWith("_bucket") && target.expr.includes("histogram_quantile(");
          const average = /_(sum|count)$/.test(series);
          if ((!quantile && !average) || inRate !== uses) {
            misuse.push(`${where(panel, target)}: histogram ${series} not as rate of buckets`);
          }
        }
      }
    }
    expect(misuse).toEqual([]);
  });

  test.skipIf(!hasPromtool)(
    "every query parses, checked by promtool as recording rules",
    async () => {
      const rules = targets.map(({ panel, target }) => {
        let expr = target.expr;
        for (const [variable, value] of Object.entries(GRAFANA_INTERVALS)) {
          expr = expr.replaceAll(variable, value);
        }
        return { record: `dashboard:panel_${panel.id}_${target.refId}`, expr };
      });
      const file = join(tmp.path, "dashboard-queries.yml");
      await Bun.write(file, stringify({ groups: [{ name: "dashboard-queries", rules }] }));

      const result = await promtool(["check", "rules", file]);
      if (result.exitCode !== 0) console.error(result.output);
      expect(result.output).toContain(`${rules.length} rules found`);
      expect(result.exitCode).toBe(0);
    },
  );
});
