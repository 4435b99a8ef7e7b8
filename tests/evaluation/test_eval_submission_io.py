"""Submission files: round trip, and clear errors for malformed files."""
from __future__ import annotations

import json

import numpy as np
import pytest

from mapkd.evaluation.submission import (SubmissionError, check_tokens, load_vectors_json,
                                         write_submission)


def good_payload() -> dict:
    return {'meta': {'use_camera': True, 'use_lidar': False, 'use_radar': False, 'use_external': False,
                     'vector': True},
            'results': {'tokA': [{'pts': [[0.0, 1.0], [2.0, 1.5]], 'pts_num': 2, 'type': 0,
                                  'confidence_level': 0.7}],
                        'tokB': []}}


def dump(tmp_path, payload) -> str:
    path = tmp_path / 'sub.json'
    path.write_text(json.dumps(payload))
    return str(path)


def test_round_trip(tmp_path):
    path = str(tmp_path / 'out' / 'submission.json')
    write_submission({'tokA': [dict(pts=np.array([[0.0, 1.0], [2.0, 1.5], [3.0, 2.0]], np.float32),
                                    pts_num=3, type=2, confidence_level=np.float32(0.25))]}, path)
    loaded = load_vectors_json(path)
    assert loaded['meta']['vector'] is True and loaded['meta']['use_camera'] is True
    vec = loaded['results']['tokA'][0]
    np.testing.assert_allclose(vec['pts'], [[0.0, 1.0], [2.0, 1.5], [3.0, 2.0]])
    assert vec['pts_num'] == 3 and vec['type'] == 2 and vec['confidence_level'] == 0.25
    assert not list((tmp_path / 'out').glob('.tmp_*'))   # atomic write left no temp file


def test_gt_file_without_confidence(tmp_path):
    payload = good_payload()
    del payload['results']['tokA'][0]['confidence_level']
    assert load_vectors_json(dump(tmp_path, payload), need_confidence=False)['results']['tokA'][0]['type'] == 0
    with pytest.raises(SubmissionError, match=r'results\["tokA"\]\[0\]: missing field "confidence_level"'):
        load_vectors_json(dump(tmp_path, payload))


@pytest.mark.parametrize('mutate, message', [
    (lambda p: p.pop('results'), 'missing key "results"'),
    (lambda p: p.pop('meta'), 'missing key "meta"'),
    (lambda p: p['meta'].pop('vector'), 'meta: missing key "vector"'),
    (lambda p: p['meta'].update(vector=False), 'only vector submissions'),
    (lambda p: p.update(results=[]), 'results: must be an object'),
    (lambda p: p['results'].update(tokB={'pts': []}), r'results\["tokB"\]: must be a list'),
    (lambda p: p['results']['tokA'][0].pop('pts'), r'results\["tokA"\]\[0\]: missing field "pts"'),
    (lambda p: p['results']['tokA'][0].update(pts=[[0.0, float('nan')], [1.0, 1.0]]),
     r'results\["tokA"\]\[0\]\.pts: contains NaN'),
    (lambda p: p['results']['tokA'][0].update(pts=[[0.0, 'a'], [1.0, 1.0]]), r'\[0\]\.pts: coordinates must be numbers'),
    (lambda p: p['results']['tokA'][0].update(pts=[[0.0], [1.0, 1.0]]), r'\[0\]\.pts: must be a list of \[x, y\]'),
    (lambda p: p['results']['tokA'][0].update(pts_num='2'), r'\[0\]\.pts_num: must be an integer'),
    (lambda p: p['results']['tokA'][0].update(pts_num=5), r'\[0\]\.pts_num: 5 is outside 0\.\.2'),
    (lambda p: p['results']['tokA'][0].update(type=3), r'\[0\]\.type: must be 0'),
    (lambda p: p['results']['tokA'][0].update(type='divider'), r'\[0\]\.type: must be 0'),
    (lambda p: p['results']['tokA'][0].update(confidence_level=None), r'\[0\]\.confidence_level: must be a finite'),
])
def test_malformed_files_name_token_and_field(tmp_path, mutate, message):
    payload = good_payload()
    mutate(payload)
    path = dump(tmp_path, payload)
    with pytest.raises(SubmissionError, match=message) as info:
        load_vectors_json(path)
    assert str(info.value).startswith(path)


def test_nan_literal_and_broken_json(tmp_path):
    path = tmp_path / 'nan.json'
    path.write_text('{"meta": {"vector": true}, "results": {"tokA": [{"pts": [[0, NaN], [1, 1]], '
                    '"pts_num": 2, "type": 0, "confidence_level": 1}]}}')
    with pytest.raises(SubmissionError, match=r'tokA"\]\[0\]\.pts: contains NaN'):
        load_vectors_json(str(path))
    path.write_text('{"meta": ')
    with pytest.raises(SubmissionError, match='not valid JSON'):
        load_vectors_json(str(path))
    with pytest.raises(FileNotFoundError):
        load_vectors_json(str(tmp_path / 'absent.json'))


def test_tokens_checked_against_gt():
    check_tokens({'a': [], 'b': []}, ['a', 'b'], 'sub.json')
    with pytest.raises(SubmissionError, match=r'results\["zz"\]: token is not a sample of the GT split'):
        check_tokens({'a': [], 'zz': []}, ['a', 'b'], 'sub.json')
    with pytest.raises(SubmissionError, match='1 GT sample.* "b"'):
        check_tokens({'a': []}, ['a', 'b'], 'sub.json')
    check_tokens({'a': []}, ['a', 'b'], 'sub.json', allow_missing=True)
