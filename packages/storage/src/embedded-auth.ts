/** SigV4 request verification for the embedded S3 server, which s3rver itself does not do. */

import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export type Verdict = { ok: true } | { ok: false; code: string; message: string };

const ALGORITHM = "AWS4-HMAC-SHA256";
// S3 refuses header-signed requests whose clock is off by more than 15 minutes.
const MAX_SKEW_MS = 15 * 60 * 1000;

const hmac = (key: string | Buffer, data: string) =>
  createHmac("sha256", key).update(data).digest();
const sha256Hex = (data: string) => createHash("sha256").update(data).digest("hex");
const deny = (code: string, message: string): Verdict => ({ ok: false, code, message });

/** RFC 3986 encoding, as SigV4 wants query names and values. */
const encodeStrict = (value: string) =>
  encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

function canonicalQuery(raw: string, dropSignature: boolean): string {
  const pairs: [string, string][] = [];
  for (const part of raw.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const name = decodeURIComponent(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? "" : decodeURIComponent(part.slice(eq + 1));
    if (dropSignature && name === "X-Amz-Signature") continue;
    pairs.push([encodeStrict(name), encodeStrict(value)]);
  }
  pairs.sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1));
  return pairs.map(([name, value]) => `${name}=${value}`).join("&");
}

/** "20261203T190738Z" → epoch ms, or NaN. */
function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return Number.NaN;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as number[];
  return Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second);
}

interface SignedParts {
  credential: string;
  signedHeaders: string;
  signature: string;
  amzDate: string;
  payloadHash: string;
  presigned: boolean;
}

function signedParts(req: IncomingMessage, query: URLSearchParams): SignedParts | Verdict {
  if (query.get("X-Amz-Algorithm") === ALGORITHM) {
    return {
      credential: query.get("X-Amz-Credential") ?? "",
      signedHeaders: query.get("X-Amz-SignedHeaders") ?? "",
      signature: query.get("X-Amz-Signature") ?? "",
      amzDate: query.get("X-Amz-Date") ?? "",
      payloadHash: query.get("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD",
      presigned: true,
    };
  }
  const header = req.headers.authorization ?? "";
  if (!header.startsWith(`${ALGORITHM} `)) {
    return deny("AccessDenied", "Requests must be signed with AWS Signature Version 4");
  }
  const fields = Object.fromEntries(
    header
      .slice(ALGORITHM.length + 1)
      .split(",")
      .map((field) => field.trim().split("=", 2) as [string, string]),
  );
  return {
    credential: fields.Credential ?? "",
    signedHeaders: fields.SignedHeaders ?? "",
    signature: fields.Signature ?? "",
    amzDate: String(req.headers["x-amz-date"] ?? ""),
    payloadHash: String(req.headers["x-amz-content-sha256"] ?? ""),
    presigned: false,
  };
}

/**
 * Checks a request's SigV4 signature (header or presigned query) against `secretFor` and, for
 * presigned URLs, their expiry. The payload hash is taken as signed, not recomputed over the body.
 */
export function verifySigV4(
  req: IncomingMessage,
  secretFor: (accessKeyId: string) => string | undefined,
  now = Date.now(),
): Verdict {
  const url = req.url ?? "/";
  const cut = url.indexOf("?");
  const path = cut === -1 ? url : url.slice(0, cut);
  const rawQuery = cut === -1 ? "" : url.slice(cut + 1);
  const query = new URLSearchParams(rawQuery);

  const parts = signedParts(req, query);
  if ("ok" in parts) return parts;

  const [accessKeyId = "", day = "", region = "", service = "", terminator] =
    parts.credential.split("/");
  const secret = secretFor(accessKeyId);
  if (!secret) return deny("InvalidAccessKeyId", "The access key id is not known here");
  if (terminator !== "aws4_request" || !parts.signedHeaders || !parts.signature) {
    return deny("AuthorizationHeaderMalformed", "The SigV4 credential or signature is malformed");
  }

  const signedAt = parseAmzDate(parts.amzDate);
  if (Number.isNaN(signedAt)) return deny("AccessDenied", "X-Amz-Date is missing or malformed");
  if (parts.presigned) {
    const expires = Number(query.get("X-Amz-Expires"));
    if (!Number.isInteger(expires) || expires < 0 || now > signedAt + expires * 1000) {
      return deny("AccessDenied", "Request has expired");
    }
  } else if (Math.abs(now - signedAt) > MAX_SKEW_MS) {
    return deny("RequestTimeTooSkewed", "The request time is too far from the server time");
  }

  const names = parts.signedHeaders.split(";");
  const headerLines = names.map((name) => {
    const raw = req.headers[name];
    const value = Array.isArray(raw) ? raw.join(",") : (raw ?? "");
    return `${name}:${value.trim().replace(/\s+/g, " ")}\n`;
  });
  const canonicalRequest = [
    req.method ?? "GET",
    path,
    canonicalQuery(rawQuery, parts.presigned),
    headerLines.join(""),
    parts.signedHeaders,
    parts.payloadHash,
  ].join("\n");

  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, parts.amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), "aws4_request");
  const expected = hmac(key, stringToSign);
  const given = Buffer.from(parts.signature, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return deny("SignatureDoesNotMatch", "The request signature does not match");
  }
  return { ok: true };
}
