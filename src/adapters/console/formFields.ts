// Form fields beside the kit's textField (kit.ts): a text area (PEM certificates, metadata), a
// checkbox and a choice among fixed values, each with its label and an optional hint tied to it.
import { html, trusted, type Html } from './html.js';

interface Field {
  readonly name: string;
  readonly label: string;
  readonly hint?: string;
}

function hintOf(field: Field): { readonly hint: Html | string; readonly describedBy: Html | string } {
  const id = `field-${field.name}-hint`;
  return field.hint === undefined
    ? { hint: '', describedBy: '' }
    : { hint: html`<span class="hint" id="${id}">${field.hint}</span>`, describedBy: html` aria-describedby="${id}"` };
}

export function textArea(field: Field & { readonly value?: string; readonly rows?: number }): Html {
  const { hint, describedBy } = hintOf(field);
  return html`<label for="field-${field.name}">${field.label}</label>${hint}<textarea
      id="field-${field.name}"
      name="${field.name}"
      rows="${field.rows ?? 6}"
      spellcheck="false"
      ${describedBy}
    >
${field.value ?? ''}</textarea>`;
}

export function checkbox(field: Field & { readonly checked: boolean }): Html {
  const { hint, describedBy } = hintOf(field);
  return html`<label for="field-${field.name}" class="check"
      ><input
        type="checkbox"
        id="field-${field.name}"
        name="${field.name}"
        value="yes"
        ${field.checked ? trusted(' checked') : ''}${describedBy}
      />
      ${field.label}</label
    >${hint}`;
}

export function choice(field: Field & { readonly value: string; readonly options: readonly (readonly [string, string])[] }): Html {
  const { hint, describedBy } = hintOf(field);
  return html`<label for="field-${field.name}">${field.label}</label>${hint}<select
      id="field-${field.name}"
      name="${field.name}"
      ${describedBy}
    >
      ${field.options.map(
        ([value, text]) => html`<option value="${value}" ${value === field.value ? trusted(' selected') : ''}>${text}</option>`,
      )}
    </select>`;
}

/** A form's text field as given: trimmed, and undefined when left empty (the setting's default then). */
export function given(form: URLSearchParams, name: string): string | undefined {
  const value = form.get(name)?.trim() ?? '';
  return value === '' ? undefined : value;
}
