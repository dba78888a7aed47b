"""How long the playground's markdown renderer takes per redraw while an answer streams,
in Debian's headless Chromium, against a floor measured in the same run: showing the
same text as plain text (`textContent`, the cheapest escaped display there is).

The page redraws once per animation frame (16.7 ms at 60 Hz): finished blocks stay, the
last one is drawn again. The figure that matters is the time of the last redraw, at the
answer's final size; "whole text redrawn" is what redrawing everything each time costs.

    .venv/bin/python bench/bench_playground.py [--frames 100]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from starlette.applications import Starlette

from llmcli.serve import pages
from tests.playground_servers import running
from tests.test_playground import CHROMIUM, CHROMIUM_ARGS

# Redraws of an answer growing to `size` characters in `frames` steps; layout forced.
MEASURE = """([size, frames]) => {
  const unit = "Some **bold** text with `code` and a [link](https://example.com).\\n\\n"
    + "- item one\\n- item two\\n\\n| a | b |\\n|---|---|\\n| 1 | 2 |\\n\\n"
    + "```python\\nprint('x')\\n```\\n\\n";
  const text = unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  const box = document.createElement("div");
  document.body.append(box);
  const time = (draw, steps) => {  // the last of `steps` redraws as the text grows
    let last = 0;
    for (let f = 1; f <= steps; f++) {
      const t0 = performance.now();
      draw(text.slice(0, Math.round((size * f) / steps)));
      void box.offsetHeight;
      last = performance.now() - t0;
    }
    return last;
  };
  // Plain text and a whole redraw do not depend on earlier frames: one draw at full size.
  const floor = time((t) => { box.textContent = t; }, 1);
  box.replaceChildren();
  const whole = time((t) => box.replaceChildren(markdown(t)), 1);
  box.replaceChildren();
  const view = new Growing(box); // the page's own redraw: finished blocks kept
  const md = time((t) => view.draw(t), frames);
  box.remove();
  return [md, whole, floor];
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        app = Starlette(routes=pages.routes(db_path=Path(tmp) / "logs.db"))
        with running(app) as url:
            context = pw.chromium.launch_persistent_context(
                tmp + "/profile", executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            page = context.new_page()
            page.goto(url + "/")
            print("| answer | redraw (ms) | whole text redrawn (ms) | floor: plain text (ms) |")
            print("|---|---|---|---|")
            for size in (10_000, 100_000, 1_000_000):
                runs = [page.evaluate(MEASURE, [size, args.frames]) for _ in range(3)]
                md, whole, floor = (min(r[k] for r in runs) for k in range(3))
                print(f"| {size // 1000} KB | {md:.1f} | {whole:.1f} | {floor:.1f} |")
            context.close()


if __name__ == "__main__":
    main()
