"""Evaluation: semantic mIoU, HDMapNet vectorisation, vector mAP protocols, submission files.

Entry points: :class:`MapMetric` (registered in ``METRICS``), :func:`vectorize`,
:func:`frame_ap` / :func:`evaluate_vectors`, :func:`write_submission` / :func:`load_vectors_json`.
"""
from .average_precision import average_precision, frame_ap, summarize_ap
from .evaluate_vectors import evaluate_vectors
from .grid import BevGrid
from .metrics import MapMetric
from .protocols import PROTOCOLS, APProtocol, get_protocol
from .rasterize import CLASS_NAMES, rasterize_instances
from .submission import SubmissionError, load_vectors_json, write_submission
from .vectorize import VectorizeConfig, vectorize

__all__ = ['APProtocol', 'BevGrid', 'CLASS_NAMES', 'MapMetric', 'PROTOCOLS', 'SubmissionError',
           'VectorizeConfig', 'average_precision', 'evaluate_vectors', 'frame_ap', 'get_protocol',
           'load_vectors_json', 'rasterize_instances', 'summarize_ap', 'vectorize', 'write_submission']
