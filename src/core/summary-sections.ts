// The job summary in named sections. In a workflow the main and the post step each write their own
// summary (the post step's teardown section follows main's "not run yet"). The CLI keeps one file
// per stack and runs the teardown itself: there a section written again replaces the one before
// (one Teardown section, one timeline that includes the teardown). The marker is an HTML comment:
// invisible where markdown is rendered.

const MARKER = /^<!-- openstack-on-aws:section ([a-z0-9._-]+) -->$/;

/** Starts a named section: the markdown up to the next section (or the end) belongs to it. */
export function section(name: string, markdown: string): string {
  if (!/^[a-z0-9._-]+$/.test(name)) throw new Error(`bad summary section name '${name}'`);
  // A blank line after each section: the next marker must not continue a table or a paragraph.
  return `<!-- openstack-on-aws:section ${name} -->\n${markdown.replace(/\s*$/, '')}\n\n`;
}

interface Parsed {
  /** Text before the first section marker. */
  lead: string;
  sections: Array<{ name: string; text: string }>;
}

function parse(markdown: string): Parsed {
  const out: Parsed = { lead: '', sections: [] };
  for (const line of markdown.split(/(?<=\n)/)) {
    const m = MARKER.exec(line.replace(/\n$/, ''));
    if (m) out.sections.push({ name: m[1], text: line });
    else if (out.sections.length > 0) out.sections[out.sections.length - 1].text += line;
    else out.lead += line;
  }
  return out;
}

/**
 * The summary file after writing `update` to it: each of its sections replaces the section of the
 * same name in place; new sections, and text outside any section, are appended.
 */
export function mergeSummary(existing: string, update: string): string {
  const old = parse(existing);
  const next = parse(update);
  const appended: string[] = next.lead.trim() !== '' ? [next.lead.replace(/\s*$/, '\n\n')] : [];
  for (const s of next.sections) {
    const i = old.sections.findIndex((o) => o.name === s.name);
    if (i >= 0) old.sections[i] = s;
    else appended.push(s.text);
  }
  const lead = old.lead.trim() !== '' ? old.lead.replace(/\s*$/, '\n\n') : '';
  return [lead, ...old.sections.map((s) => s.text), ...appended].join('');
}
