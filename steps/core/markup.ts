/**
 * Data never becomes markup. Names, models, error messages and server strings come from configs, result files and
 * servers that a PR (or a server) controls; in SUMMARY.md, the PR comment and report.html they are text only:
 * no HTML, no links or images, no @mentions, no autolinked URLs.
 *
 * GitHub Flavored Markdown (https://github.github.com/gfm/): a backslash before any ASCII punctuation makes it
 * literal (§2.4), HTML needs `<` (§6.6), links and images need `[` `]` (§6.3, 6.4), autolinks `<` or a bare
 * `www.`/`scheme://` (§6.9). @mentions and #references are GitHub's own post-processing of text nodes, which a
 * backslash does not stop; a zero-width space after `@` does (the approach Renovate uses for release notes).
 */

const ZWSP = '&#8203;';
/**
 * ASCII punctuation with an inline Markdown meaning, backslash-escaped (GFM §2.4): code, emphasis, strikethrough,
 * link/image brackets, table pipes. `(`/`)`/`!` need no escape once `[` has one; data never starts a line, so
 * block markers (`#`, `-`, `1.`) need none. `<`, `>`, `&` become entities.
 */
const MD_PUNCT = /[\\`*_[\]|~]/g;

/** One line of Markdown text (table cell, heading, list item) from untrusted data. */
export function escapeMarkdown(value: unknown): string {
  return (
    String(value ?? '')
      // Line and paragraph separators (U+2028/2029) and control characters would end the line or the table row.
      .replace(/[\r\n\u2028\u2029\t\v\f]+/g, ' ')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(MD_PUNCT, (c) => `\\${c}`)
      // One pass, so an inserted entity is never re-matched: bare URLs are autolinked (GFM extended autolinks) —
      // break "://" and "www."; @user and @org/team mentions and #123 references are GitHub's post-processing.
      .replace(/:\/\/|\bwww\.|@|#(?=\d)/gi, (m) =>
        m === '://' ? `:${ZWSP}//` : m.length === 4 ? `${m.slice(0, 3)}${ZWSP}.` : `${m}${ZWSP}`,
      )
  );
}

/** An identifier shown as code when it is plainly one; anything else is escaped text (a backtick cannot end the span). */
export function codeSpan(value: unknown): string {
  const s = String(value ?? '');
  return /^[A-Za-z0-9._:/=+…-]{1,200}$/.test(s) ? `\`${s}\`` : escapeMarkdown(s);
}

/**
 * A link target from data or flags: an absolute http(s) URL (WHATWG-parsed, credentials dropped) or a plain relative
 * path. Anything else (`javascript:`, `data:`, spaces, parentheses that would end a Markdown link) is null: the
 * caller omits the link.
 */
export function safeUrl(value: unknown): string | null {
  const s = String(value ?? '').trim();
  if (!s) return null;
  if (/^[A-Za-z0-9._~/-]+(?:\.[A-Za-z0-9]+)?$/.test(s) && !s.startsWith('//')) return s;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
  u.username = '';
  u.password = '';
  // Parentheses, quotes and angle brackets would end a Markdown link or an HTML attribute early.
  return u.href.replace(/[()'"<> ]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/**
 * JSON for a <script> element (type application/json or JavaScript): `<` `>` `&` and U+2028/2029 as \u escapes, so
 * no string in it can close the element (`</script>`), open a comment (`<!--`, which makes the HTML parser's script
 * data state swallow the rest of the page), or end a JavaScript string literal.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
