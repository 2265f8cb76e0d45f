/** Content-Disposition for downloads: an ASCII fallback name plus the exact UTF-8 one. */

// Quotes, backslashes and anything outside printable ASCII cannot go into the quoted form.
const UNSAFE_ASCII = /[^\x20-\x7e]|["\\]/g;

function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export function contentDisposition(filename: string): string {
  const fallback = filename.replace(UNSAFE_ASCII, "_") || "download";
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeRfc5987(filename)}`;
}
