#!/usr/bin/env python
"""Export the student of a MapDistiller checkpoint as a stand-alone checkpoint.

    python scripts/extract_student.py work_dirs/student_distill_60x30_10e/epoch_10.pth \
        work_dirs/student_distill_60x30_10e/student_epoch_10.pth
    python tools/test.py configs/mapkd/student_cam_only_60x30_10e.py \
        work_dirs/student_distill_60x30_10e/student_epoch_10.pth

(``tools/test.py`` also works directly on the distillation config and checkpoint, because the
distiller's predict mode runs the student; that route builds the frozen teacher/coach too.)
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mapkd.cli import CLIError, run_cli  # noqa: E402


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='scripts/extract_student.py', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('checkpoint', help='MapDistiller checkpoint (student.* keys)')
    parser.add_argument('out', help='output student checkpoint')
    args = parser.parse_args(argv)
    from mapkd.models.distillers.student_checkpoint import export_student_checkpoint

    try:
        count = export_student_checkpoint(args.checkpoint, args.out)
    except (KeyError, ValueError) as exc:
        raise CLIError(str(exc)) from exc
    print(f'wrote {args.out} ({count} tensors)')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
