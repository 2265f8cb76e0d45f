/** The parse package: structured data out of stage text (keywords, regexes, a table, lines). */

export type { KeywordHits } from "./keywords.ts";
export { parseNumber } from "./numbers.ts";
export { PARSE_DEFAULTS, type ParseOptions, type ParseResult, runParse } from "./parse.ts";
export type { ColumnSummary, TableResult } from "./table.ts";
