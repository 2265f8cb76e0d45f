/** The report a `report` stage renders when it has no template of its own. */

// Each section is guarded by {{#if}}, so stages that did not run leave no empty headings and no
// warnings. The OCR text comes last, one page of the document per PDF page.
export const DEFAULT_TEMPLATE = `# {{title}}

- **Document:** {{document.name}}
- **Type:** {{document.contentType}}
- **Job:** {{job.id}}
- **Pipeline:** {{pipeline.name}}
- **Stages:** {{pipeline.stageCount}}
{{#if pages}}
- **Pages:** {{pages}}
{{/if}}
- **Generated:** {{date}}

{{#if parsed.keywords}}
## Keywords

| Keyword | Count | Lines |
|:--|--:|:--|
{{#each parsed.keywords}}
| {{@key}} | {{this.count}} | {{this.lines}} |
{{/each}}

{{/if}}
{{#if parsed.regex}}
## Matches

{{#each parsed.regex}}
### {{@key}} ({{this.length}})

{{list this}}

{{/each}}
{{/if}}
{{#if parsed.table.rows}}
## Table

{{table parsed.table}}

{{#if parsed.table.summary}}
| Column | Numbers | Sum | Min | Max | Mean |
|:--|--:|--:|--:|--:|--:|
{{#each parsed.table.summary}}
| {{@key}} | {{this.count}} | {{this.sum}} | {{this.min}} | {{this.max}} | {{this.mean}} |
{{/each}}

{{/if}}
{{/if}}
{{#if parsed.lines}}
## Lines

{{list parsed.lines}}

{{/if}}
{{#if parsed.notes}}
> **Parse notes:** {{parsed.notes}}

{{/if}}
{{#if ai}}
## AI output

{{#if ai.json}}
{{json ai.json}}
{{else}}
{{{ai.content}}}
{{/if}}

{{/if}}
{{#if ocr.pages}}
{{#each ocr.pages}}
\\pagebreak

## Text of page {{this.number}}

{{#if this.text}}
{{this.text}}
{{else}}
*No text on this page.*
{{/if}}

{{/each}}
{{else}}
{{#if text}}
\\pagebreak

## Text

{{text}}
{{/if}}
{{/if}}
`;
