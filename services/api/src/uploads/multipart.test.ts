import { describe, expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { type IncomingFile, receiveUpload } from "./multipart.ts";

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

function formRequest(parts: [string, Blob | string, string?][]): Request {
  const form = new FormData();
  for (const [name, value, filename] of parts) {
    if (typeof value === "string") form.append(name, value);
    else form.append(name, value, filename);
  }
  return new Request("http://localhost/api/documents", { method: "POST", body: form });
}

async function collect(file: IncomingFile) {
  const bytes = new Uint8Array(await new Response(file.stream).arrayBuffer());
  return { name: file.name, type: file.contentType, bytes, stats: file.stats() };
}

async function statusOf(promise: Promise<unknown>): Promise<[number, string]> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return [error.status, error.message];
    throw error;
  }
  return [200, ""];
}

describe("receiveUpload", () => {
  test("streams the file with its sniffed type, safe name, size, hash and the other fields", async () => {
    const big = new Uint8Array(300_000).fill(65);
    const request = formRequest([
      ["pipelineId", "p1"],
      ["file", new Blob([big]), "../../etc/notes.txt"],
    ]);
    const { stored, fields } = await receiveUpload(request, 1_000_000, collect);
    expect(fields).toEqual({ pipelineId: "p1" });
    expect(stored.name).toBe("notes.txt");
    expect(stored.type).toBe("text/plain");
    expect(stored.bytes).toEqual(big);
    expect(stored.stats.size).toBe(300_000);
    expect(stored.stats.sha256).toBe(new Bun.CryptoHasher("sha256").update(big).digest("hex"));
  });

  test("a field after the file still arrives", async () => {
    const request = formRequest([
      ["file", new Blob([PNG]), "a.png"],
      ["pipelineId", "late"],
    ]);
    const { stored, fields } = await receiveUpload(request, 1000, collect);
    expect(stored.type).toBe("image/png");
    expect(fields.pipelineId).toBe("late");
  });

  test("over the limit while streaming → 413, and the consumer saw an error", async () => {
    let consumerError: unknown;
    const request = formRequest([["file", new Blob([new Uint8Array(50_000).fill(66)]), "x.txt"]]);
    const result = receiveUpload(request, 10_000, async (file) => {
      try {
        await new Response(file.stream).arrayBuffer();
      } catch (error) {
        consumerError = error;
        throw error;
      }
    });
    expect(await statusOf(result)).toEqual([413, "File is larger than the limit of 10000 bytes"]);
    expect((consumerError as AppError).status).toBe(413);
  });

  test("empty file → 400; no file → 400; not multipart → 400; text named .pdf → 415", async () => {
    const empty = formRequest([["file", new Blob([]), "e.txt"]]);
    expect((await statusOf(receiveUpload(empty, 100, collect)))[0]).toBe(400);
    const none = formRequest([["pipelineId", "x"]]);
    expect(await statusOf(receiveUpload(none, 100, collect))).toEqual([
      400,
      'The form has no "file" field',
    ]);
    const json = new Request("http://localhost/x", { method: "POST", body: "{}" });
    expect((await statusOf(receiveUpload(json, 100, collect)))[0]).toBe(400);
    const fake = formRequest([["file", new Blob(["just text"]), "report.pdf"]]);
    expect(await statusOf(receiveUpload(fake, 100, collect))).toEqual([
      415,
      "The file is named .pdf but its content is text/plain, not application/pdf",
    ]);
  });

  test("binary that is no supported type → 415", async () => {
    const request = formRequest([
      ["file", new Blob([new Uint8Array([0, 1, 2, 3, 0, 9])]), "a.bin"],
    ]);
    expect((await statusOf(receiveUpload(request, 100, collect)))[0]).toBe(415);
  });

  test("a second file is refused and the stored first one is discarded", async () => {
    const discarded: string[] = [];
    const request = formRequest([
      ["file", new Blob(["one"]), "1.txt"],
      ["other", new Blob(["two"]), "2.txt"],
    ]);
    const result = receiveUpload(
      request,
      100,
      async (f) => f.name,
      async (name) => {
        discarded.push(name);
      },
    );
    expect((await statusOf(result))[0]).toBe(400);
    expect(discarded).toEqual(["1.txt"]);
  });
});
