"""Reference log-mel spectrogram for packages/core/src/encoders/audio/log-mel.ts.

Computes in float64 with numpy's FFT (not the DFT-as-matmul of the TypeScript code, so the
two paths are independent), cross-checks against torch.stft + the same HTK filterbank, and
writes packages/core/src/encoders/fixtures/log-mel.json.

    /usr/bin/python3 tools/reference/log_mel.py

Definition (matches torchaudio.transforms.MelSpectrogram(power=2, norm=None, mel_scale='htk')
followed by log(max(x, floor))): periodic Hann window of length n_fft; if center, reflect-pad
n_fft // 2 on both sides; frame t covers [t * hop, t * hop + n_fft); power = |rfft|^2;
mel = power @ fb, fb[k, m] the HTK triangle of mel m at FFT bin frequency k * sr / n_fft.
"""
import json
import os

import numpy as np
import torch


def hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(sr, n_fft, n_mels, f_min, f_max):
    """[n_fft // 2 + 1, n_mels], as torchaudio.functional.melscale_fbanks(norm=None, mel_scale='htk')."""
    freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    f_pts = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts[None, :] - freqs[:, None]
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return np.maximum(0.0, np.minimum(down, up))


def hann(n):
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)  # periodic, as torch.hann_window


def log_mel_numpy(wave, c):
    n_fft, hop = c["nFft"], c["hopLength"]
    x = np.asarray(wave, dtype=np.float64)
    if c["center"]:
        x = np.pad(x, (n_fft // 2, n_fft // 2), mode="reflect")
    frames = 1 + (len(x) - n_fft) // hop
    idx = np.arange(frames)[:, None] * hop + np.arange(n_fft)[None, :]
    spec = np.fft.rfft(x[idx] * hann(n_fft), axis=-1)
    power = spec.real ** 2 + spec.imag ** 2
    fb = mel_filterbank(c["sampleRate"], n_fft, c["nMels"], c["fMin"], c["fMax"])
    return np.log(np.maximum(power @ fb, c["logFloor"]))  # [frames, n_mels]


def log_mel_torch(wave, c):
    x = torch.tensor(np.asarray(wave, dtype=np.float64))
    spec = torch.stft(x, n_fft=c["nFft"], hop_length=c["hopLength"], window=torch.hann_window(c["nFft"], dtype=torch.float64),
                      center=c["center"], pad_mode="reflect", onesided=True, return_complex=True)
    power = spec.abs() ** 2  # [bins, frames]
    fb = torch.tensor(mel_filterbank(c["sampleRate"], c["nFft"], c["nMels"], c["fMin"], c["fMax"]))
    return torch.log(torch.clamp(power.T @ fb, min=c["logFloor"])).numpy()


def signals(sr, n):
    t = np.arange(n) / sr
    sine = 0.5 * np.sin(2 * np.pi * 440.0 * t)
    # Linear chirp 200 Hz -> 3 kHz over the clip, plus a small 1 kHz tone.
    chirp = 0.3 * np.sin(2 * np.pi * (200.0 * t + 0.5 * (3000.0 - 200.0) / t[-1] * t ** 2)) + 0.05 * np.sin(2 * np.pi * 1000.0 * t)
    # Stored as float32 (what the TypeScript side reads); the reference uses those exact values.
    return [sine.astype(np.float32), chirp.astype(np.float32)]


CASES = [
    {"name": "center", "config": {"sampleRate": 16000, "nFft": 256, "hopLength": 128, "nMels": 24, "fMin": 0.0, "fMax": 8000.0, "center": True, "logFloor": 1e-6}, "samples": 1600},
    {"name": "no-center-fmin", "config": {"sampleRate": 8000, "nFft": 200, "hopLength": 80, "nMels": 16, "fMin": 50.0, "fMax": 3800.0, "center": False, "logFloor": 1e-5}, "samples": 1000},
]


def main():
    out = {
        "script": "tools/reference/log_mel.py",
        "torch": torch.__version__,
        "numpy": np.__version__,
        "dtype": "float64 from float32 waveforms",
        "description": "log(max(HTK mel(|rfft(hann * frame)|^2), logFloor)); [B, frames, nMels] per case",
        "cases": [],
    }
    for case in CASES:
        c = case["config"]
        waves = signals(c["sampleRate"], case["samples"])
        expected = [log_mel_numpy(w, c) for w in waves]
        for w, e in zip(waves, expected):
            np.testing.assert_allclose(log_mel_torch(w, c), e, rtol=1e-9, atol=1e-9)
        out["cases"].append({
            "name": case["name"],
            "config": c,
            "waveform": [[float(str(v)) for v in w] for w in waves],  # shortest float32 round-trip text
            "logMel": [np.round(e, 8).tolist() for e in expected],
        })
    path = os.path.join(os.path.dirname(__file__), "../../packages/core/src/encoders/fixtures/log-mel.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.normpath(path), [np.asarray(c["logMel"]).shape for c in out["cases"]])


if __name__ == "__main__":
    main()
