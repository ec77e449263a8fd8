"""Chinese/Japanese chunks: whole bunsetsu-like pieces for Japanese, particle-cut phrases for Chinese."""

from __future__ import annotations

import itertools

import pytest

from services.classifier.segment import cjk_chunks, has_kana


def _chunks(run: str) -> list[str]:
    return [run[a:b] for a, b in cjk_chunks(run)]


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        ("荷物がまだ届いていません", ["荷物が", "まだ", "届いていません"]),
        ("色が写真と違う", ["色が", "写真と", "違う"]),
        ("ケーブルが断線していた", ["ケーブルが", "断線していた"]),
        ("用了三天就坏了", ["用了", "三天", "就坏了"]),
        ("快递一直没到", ["快递一直没到"]),
        ("我还没收到货", ["我", "还没收到货"]),
        ("颜色和图片不一样", ["颜色", "和图片不一样"]),
    ],
)
def test_runs_split_into_readable_chunks(run: str, expected: list[str]) -> None:
    assert _chunks(run) == expected


def test_chunks_tile_the_run_without_gaps() -> None:
    for run in ("充電ケーブルが付いていなかった", "这个杯子我很喜欢但是盖子裂了"):
        spans = cjk_chunks(run)
        assert spans[0][0] == 0
        assert spans[-1][1] == len(run)
        assert all(b == c for (_, b), (c, _) in itertools.pairwise(spans))


def test_kana_makes_a_run_japanese() -> None:
    assert has_kana("届かない")
    assert not has_kana("没收到")
    # A kanji-only run of a Japanese text stays whole when read as Japanese.
    assert _chunks("初期不良") == ["初期不良"]
    assert [r for a, b in cjk_chunks("初期不良", japanese=True) for r in ["初期不良"[a:b]]] == ["初期不良"]
