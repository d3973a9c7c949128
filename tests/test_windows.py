import pytest

from speech_encoding.errors import InputError
from speech_encoding.features.windows import window_ends


def reference_window_ends(n_samples, sample_rate, chunk_size, context_size):
    chunk = round(chunk_size * sample_rate)
    context = round(context_size * sample_rate)
    ends = []
    end = context
    while end <= n_samples:
        ends.append(end)
        end += chunk
    return ends


@pytest.mark.parametrize("n_samples, sample_rate, chunk_size, context_size", [
    (16000 * 5, 16000, 0.1, 2.0),
    (16000 * 5 + 1599, 16000, 0.1, 2.0),   # just short of one more window
    (32000, 16000, 0.1, 2.0),              # exactly one window
    (12345, 1000, 0.25, 1.0),
    (1000, 100, 0.033, 0.5),               # chunk rounds 3.3 -> 3
    (44100 * 3, 44100, 0.5, 0.5),
])
def test_window_ends_match_while_loop(n_samples, sample_rate, chunk_size, context_size):
    ends = window_ends(n_samples, sample_rate, chunk_size, context_size, story="s")
    assert [int(e) for e in ends] == reference_window_ends(n_samples, sample_rate, chunk_size,
                                                           context_size)


def test_window_ends_too_short_audio_names_story():
    with pytest.raises(InputError, match="shorter") as info:
        window_ends(16000, 16000, 0.1, 2.0, story="wheretheressmoke")
    assert "wheretheressmoke" in str(info.value)
