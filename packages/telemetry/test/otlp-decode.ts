/** A minimal protobuf wire reader: enough to pull metric names out of an OTLP export request. */

type Field = { number: number; wire: number; value: Uint8Array | bigint };

function readVarint(bytes: Uint8Array, at: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  let pos = at;
  for (;;) {
    const byte = bytes[pos++];
    if (byte === undefined) throw new Error("truncated varint");
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

function fields(bytes: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const [key, afterKey] = readVarint(bytes, pos);
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [value, next] = readVarint(bytes, afterKey);
      out.push({ number, wire, value });
      pos = next;
    } else if (wire === 2) {
      const [length, start] = readVarint(bytes, afterKey);
      const end = start + Number(length);
      out.push({ number, wire, value: bytes.subarray(start, end) });
      pos = end;
    } else if (wire === 1) {
      out.push({ number, wire, value: bytes.subarray(afterKey, afterKey + 8) });
      pos = afterKey + 8;
    } else if (wire === 5) {
      out.push({ number, wire, value: bytes.subarray(afterKey, afterKey + 4) });
      pos = afterKey + 4;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
  }
  return out;
}

const sub = (bytes: Uint8Array, number: number) =>
  fields(bytes)
    .filter((f) => f.number === number && f.wire === 2)
    .map((f) => f.value as Uint8Array);

/** ExportMetricsServiceRequest → resource_metrics(1) → scope_metrics(2) → metrics(2) → name(1). */
export function metricNamesFromProtobuf(body: Uint8Array): string[] {
  const decoder = new TextDecoder();
  return sub(body, 1)
    .flatMap((resourceMetrics) => sub(resourceMetrics, 2))
    .flatMap((scopeMetrics) => sub(scopeMetrics, 2))
    .flatMap((metric) => sub(metric, 1).map((name) => decoder.decode(name)));
}
