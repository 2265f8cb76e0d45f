/**
 * Serves histogram series nothing has observed yet as zeros on the Prometheus endpoint.
 *
 * The SDK only creates a histogram data point on its first observation, so without this the
 * first job of a status (or the first OCR call of an engine) appears with count 1 and
 * `rate()`/`increase()` never see it. Recording a fake 0 s observation would be counted as a
 * job, so the zero series are added to the collected data instead, just before serialising.
 */

import { type Attributes, type HrTime, ValueType } from "@opentelemetry/api";
import {
  AggregationTemporality,
  DataPointType,
  type HistogramMetricData,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { CATALOGUE, labelCombinations, type MetricSpec } from "./catalogue.ts";

const key = (attributes: Attributes) =>
  JSON.stringify(Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b)));

const hrNow = (): HrTime => {
  const ms = Date.now();
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
};

export interface HistogramZeros {
  /** One more label set to serve at zero until it is observed. */
  add(name: string, attributes: Attributes): void;
  /** Adds the missing zero series to a collection, in place. */
  fill(resourceMetrics: ResourceMetrics): ResourceMetrics;
}

export function createHistogramZeros(): HistogramZeros {
  const started = hrNow();
  const wanted = new Map<string, { spec: MetricSpec; sets: Map<string, Attributes> }>();
  for (const spec of CATALOGUE) {
    if (spec.type !== "histogram") continue;
    const sets = new Map(labelCombinations(spec).map((a) => [key(a), a] as const));
    if (Object.keys(spec.labels).length === 0) sets.set(key({}), {});
    wanted.set(spec.name, { spec, sets });
  }

  return {
    add(name, attributes) {
      wanted.get(name)?.sets.set(key(attributes), attributes);
    },
    fill(resourceMetrics) {
      const scope = resourceMetrics.scopeMetrics[0];
      if (!scope) return resourceMetrics;
      const now = hrNow();
      for (const [name, { spec, sets }] of wanted) {
        let metric = scope.metrics.find((m) => m.descriptor.name === name) as
          | HistogramMetricData
          | undefined;
        if (!metric) {
          metric = {
            descriptor: { name, description: spec.help, unit: "s", valueType: ValueType.DOUBLE },
            aggregationTemporality: AggregationTemporality.CUMULATIVE,
            dataPointType: DataPointType.HISTOGRAM,
            dataPoints: [],
          };
          scope.metrics.push(metric);
        }
        const seen = new Set(metric.dataPoints.map((point) => key(point.attributes)));
        const boundaries = [...(spec.buckets ?? [])];
        for (const [setKey, attributes] of sets) {
          if (seen.has(setKey)) continue;
          metric.dataPoints.push({
            startTime: started,
            endTime: now,
            attributes,
            value: {
              buckets: { boundaries, counts: boundaries.map(() => 0).concat(0) },
              sum: 0,
              count: 0,
            },
          });
        }
      }
      return resourceMetrics;
    },
  };
}
