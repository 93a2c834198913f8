/** Text and attribute values in the HTML and SVG the proxy writes (status page, /ui index and error pages). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
