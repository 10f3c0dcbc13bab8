// The admin console's one style sheet (docs/admin-console.md "Headers, styles and scripts"), served
// by ssod at /static/console.css: no inline style, no third-party asset. Colours meet WCAG AA
// contrast; the focus is always visible; the layout holds at a phone's width.

export const STYLE_PATH = '/static/console.css';

export const CONSOLE_CSS = `*, *::before, *::after { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 100%; line-height: 1.5; color: #1a1a1a; background: #f4f5f7; }
body { margin: 0; }
a { color: #0b4fa8; }
a:hover { color: #083a7c; }
:focus-visible { outline: 3px solid #0b4fa8; outline-offset: 2px; }
.top { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 0.5rem 1rem; padding: 0.75rem 1.25rem; background: #1d2b3a; color: #ffffff; }
.top a, .top .brand { color: #ffffff; text-decoration: none; font-weight: 700; font-size: 1.125rem; }
.top .brand span { font-weight: 400; color: #d5dde6; }
.top :focus-visible { outline-color: #ffd54a; }
.who { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 0.75rem; }
.who form { margin: 0; }
nav { background: #ffffff; border-bottom: 1px solid #d0d5dc; padding: 0 1.25rem; }
nav ul { display: flex; flex-wrap: wrap; gap: 0 1.25rem; margin: 0; padding: 0; list-style: none; }
nav a { display: inline-block; padding: 0.6rem 0; text-decoration: none; color: #1a1a1a; border-bottom: 3px solid transparent; }
nav a[aria-current="page"] { border-bottom-color: #0b4fa8; font-weight: 600; }
main { max-width: 60rem; margin: 0 auto; padding: 1.25rem; }
h1 { font-size: 1.5rem; margin: 0.25rem 0 1rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(13rem, 1fr)); gap: 1rem; margin: 0; }
.card { background: #ffffff; border: 1px solid #d0d5dc; border-radius: 6px; padding: 1rem; }
.card dt { color: #4a5562; font-size: 0.95rem; }
.card dd { margin: 0.25rem 0 0; font-size: 1.75rem; font-weight: 700; }
.card dd small { display: block; font-size: 0.95rem; font-weight: 400; color: #4a5562; }
.ok { color: #1c6b2f; }
.bad { color: #a4161a; }
.note { color: #4a5562; font-size: 0.95rem; }
.panel { max-width: 26rem; margin: 2rem auto; background: #ffffff; border: 1px solid #d0d5dc; border-radius: 6px; padding: 1.5rem; }
label { display: block; font-weight: 600; margin: 1rem 0 0.25rem; }
.hint { display: block; color: #4a5562; font-size: 0.9rem; margin-bottom: 0.25rem; overflow-wrap: anywhere; }
input[type="text"], input[type="password"] { width: 100%; padding: 0.55rem 0.6rem; font: inherit; color: #1a1a1a; background: #ffffff; border: 1px solid #6b7580; border-radius: 4px; }
button { font: inherit; cursor: pointer; padding: 0.5rem 1rem; border-radius: 4px; border: 1px solid #0b4fa8; background: #0b4fa8; color: #ffffff; }
button:hover { background: #083a7c; }
.panel button { margin-top: 1.25rem; width: 100%; }
.top button { background: transparent; border-color: #ffffff; color: #ffffff; padding: 0.3rem 0.8rem; }
.top button:hover { background: #2f4257; }
.alert { margin: 0 0 0.5rem; padding: 0.6rem 0.75rem; border-left: 4px solid #a4161a; background: #fdecec; color: #5c0b0d; }
.notice { margin: 0 0 1rem; padding: 0.6rem 0.75rem; border-left: 4px solid #1c6b2f; background: #e8f5eb; color: #0f3d1a; }
.empty { color: #4a5562; font-style: italic; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 0.5rem; }
.table-wrap { overflow-x: auto; background: #ffffff; border: 1px solid #d0d5dc; border-radius: 6px; }
table { width: 100%; border-collapse: collapse; font-size: 0.95rem; }
caption { text-align: left; padding: 0.5rem 0.75rem; font-weight: 600; }
th, td { text-align: left; padding: 0.5rem 0.75rem; border-bottom: 1px solid #e3e6ea; vertical-align: top; }
th { background: #eef0f3; font-weight: 600; white-space: nowrap; }
tbody tr:last-child td { border-bottom: none; }
td form { display: inline; margin: 0; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9rem; overflow-wrap: anywhere; }
.nowrap { white-space: nowrap; overflow-wrap: normal; }
.badge { display: inline-block; padding: 0 0.45rem; border-radius: 999px; font-size: 0.85rem; border: 1px solid #6b7580; color: #1a1a1a; background: #ffffff; white-space: nowrap; }
.badge.ok { border-color: #1c6b2f; color: #1c6b2f; }
.badge.bad { border-color: #a4161a; color: #a4161a; }
.details { display: grid; grid-template-columns: max-content 1fr; gap: 0.35rem 1rem; margin: 0 0 1rem; background: #ffffff; border: 1px solid #d0d5dc; border-radius: 6px; padding: 1rem; }
.details dt { font-weight: 600; color: #4a5562; }
.details dd { margin: 0; overflow-wrap: anywhere; }
.toolbar { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 0.5rem 1rem; margin: 0 0 1rem; }
.toolbar label { margin: 0 0 0.25rem; }
.toolbar > div { display: flex; flex-direction: column; }
.toolbar input[type="text"], .toolbar input[type="search"], .toolbar select { width: auto; min-width: 12rem; }
.stack { max-width: 32rem; background: #ffffff; border: 1px solid #d0d5dc; border-radius: 6px; padding: 1rem 1.25rem 1.25rem; margin: 0 0 1rem; }
.stack button { margin-top: 1rem; }
.table-wrap + .stack { margin-top: 1rem; }
.actions { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1rem; margin: 1rem 0; }
.actions form { margin: 0; }
input[type="search"], input[type="url"], input[type="number"], select, textarea { width: 100%; padding: 0.55rem 0.6rem; font: inherit; color: #1a1a1a; background: #ffffff; border: 1px solid #6b7580; border-radius: 4px; }
textarea { min-height: 8rem; }
button.secondary { background: #ffffff; color: #0b4fa8; }
button.secondary:hover { background: #eef3fb; }
button.danger { background: #a4161a; border-color: #a4161a; color: #ffffff; }
button.danger:hover { background: #7c1013; }
button.small { padding: 0.2rem 0.6rem; font-size: 0.9rem; }
.confirm { max-width: 40rem; background: #ffffff; border: 1px solid #a4161a; border-left-width: 4px; border-radius: 6px; padding: 1rem 1.25rem; }
.checks { list-style: none; padding: 0; margin: 0; }
.checks li { margin: 0.35rem 0; }
label.check { display: flex; align-items: center; gap: 0.5rem; }
.last-test p { margin: 0 0 0.5rem; }
.pager { display: flex; gap: 1rem; margin: 0.75rem 0; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; margin: 1rem 0 0; }
.chart { margin: 0; background: #ffffff; border: 1px solid #d0d5dc; border-radius: 6px; padding: 0.75rem 1rem; }
.chart figcaption { font-size: 0.95rem; margin-bottom: 0.5rem; }
.chart figcaption span { display: block; color: #4a5562; }
.chart .plot { position: relative; padding-top: 1.1rem; }
.chart .scale-top { position: absolute; top: 0; left: 0; font-size: 0.8rem; color: #4a5562; }
.chart svg { display: block; width: 100%; height: 7rem; }
.chart .grid { stroke: #d0d5dc; stroke-dasharray: 4 4; vector-effect: non-scaling-stroke; }
.chart .axis { stroke: #6b7580; vector-effect: non-scaling-stroke; }
.chart .tone-ok .bars { fill: #1c6b2f; }
.chart .tone-bad .bars { fill: #a4161a; }
.chart .tone-neutral .bars { fill: #0b4fa8; }
.chart .ticks { display: flex; justify-content: space-between; font-size: 0.8rem; color: #4a5562; }
input[type="datetime-local"] { max-width: 100%; padding: 0.5rem 0.6rem; font: inherit; color: #1a1a1a; background: #ffffff; border: 1px solid #6b7580; border-radius: 4px; }
.cell-wide { display: inline-block; min-width: 11rem; }
.sub { display: block; font-size: 0.85rem; color: #4a5562; overflow-wrap: anywhere; }
@media (max-width: 30rem) { main { padding: 1rem 0.75rem; } .panel { margin: 1rem 0.5rem; padding: 1rem; } .details { grid-template-columns: 1fr; } .details dd { margin-bottom: 0.5rem; } .toolbar input[type="text"], .toolbar input[type="search"], .toolbar select { min-width: 0; width: 100%; } .toolbar > div { width: 100%; } }
`;
