"""Mistake catalogue of 06_ast: Kaldi frames, windows, mel banks, FBANK, normalisation, patches, attention,
the config, block and model, and the cross-validation loop."""

from mistakes.runner import right, wrong

NOTEBOOK = "06_ast"
# Only the cells with a grade_id, plus the data set and the dog clip read by the tests. Not run:
# the 5-fold experiment (its only grade cell is test_cross_validation) and the plots.
ONLY_GRADED = True
KEEP = ("starts: root = datasets.esc_root()", "starts: sr = 16000\ndog")
NOT_RERUN = {"test_cross_validation": "needs the 5-fold training of the AST (minutes)"}

FBANK_INPLACE_F32 = '''
def fbank(y, sr=16000, n_mels=128, frame_length_ms=25.0, frame_shift_ms=10.0, window="hanning",
          preemph=0.97, remove_dc=True, low_freq=20.0, high_freq=0.0, floor=EPS):
    frames = kaldi_frames(y, sr, frame_length_ms, frame_shift_ms)
    if remove_dc:
        frames -= frames.mean(axis=1, keepdims=True)          # in place: the frames are a writable array
    if preemph:
        frames[:, 1:] -= preemph * frames[:, :-1].copy()
        frames[:, 0] *= 1 - preemph
    frames = (frames * kaldi_window(window, frames.shape[1])).astype(np.float32)
    n_fft = 2 ** int(np.ceil(np.log2(frames.shape[1])))
    power = np.abs(np.fft.rfft(frames, n=n_fft, axis=1)) ** 2
    mel = power @ kaldi_mel_banks(sr, n_fft, n_mels, low_freq, high_freq).T.astype(np.float32)
    return np.log(np.maximum(mel.astype(np.float64), floor))      # the floor itself in float64
'''

MHSA_EINSUM = '''
class MultiHeadSelfAttention(nn.Module):
    def __init__(self, embed_dim, num_heads, dropout=0.0):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError("embed_dim must be divisible by num_heads")
        self.num_heads, self.head_dim = num_heads, embed_dim // num_heads
        self.qkv = nn.Linear(embed_dim, 3 * embed_dim)
        self.proj = nn.Linear(embed_dim, embed_dim)

    def forward(self, x, return_attention=False):
        b, n, e = x.shape
        q, k, v = self.qkv(x).split(e, dim=-1)
        split = lambda t: t.view(b, n, self.num_heads, self.head_dim)
        scores = torch.einsum("bqhd,bkhd->bhqk", split(q), split(k)) * self.head_dim ** -0.5
        weights = scores.softmax(dim=-1)
        out = self.proj(torch.einsum("bhqk,bkhd->bqhd", weights, split(v)).reshape(b, n, e))
        return (out, weights) if return_attention else out
'''

TRAIN_FOLD_LOOP = '''
def train_fold(cfg, X_train, y_train, X_test, y_test, n_classes, seed=0, progress=False):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = AST(cfg, n_classes).to(cfg.device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.95, 0.999))
    losses, accs = [], []
    for epoch in range(cfg.epochs):
        for group in opt.param_groups:            # the recipe's decay, written out
            group["lr"] = cfg.lr * cfg.lr_decay ** max(0, epoch - cfg.lr_decay_start + 1)
        model.train()
        perm, loss_sum = torch.randperm(len(X_train), generator=gen), 0.0
        for i in range(0, len(X_train), cfg.batch_size):
            idx = perm[i:i + cfg.batch_size]
            logits = model(spec_augment(X_train[idx], cfg.freqm, cfg.timem, gen))
            loss = F.cross_entropy(logits, y_train[idx], reduction="sum")
            opt.zero_grad()
            (loss / len(idx)).backward()
            opt.step()
            loss_sum += loss.item()
        losses.append(loss_sum / len(X_train))
        pred = predict(model, X_test).cpu()
        accs.append((pred == y_test).double().mean().item())
    return {"train_loss": losses, "test_acc": accs, "pred": pred.numpy(), "model": model.cpu().eval()}
'''

VARIANTS = [
    # Part A: kaldi_frames
    wrong("kaldi_frames", "frames as columns", replace=[("return y[starts[:, None] + np.arange(win_length)[None, :]]",
                                                        "return y[starts[:, None] + np.arange(win_length)[None, :]].T")]),
    wrong("kaldi_frames", "centred frames with padding (librosa's habit) instead of snip edges", replace=[
        ("y = np.asarray(y, dtype=np.float64)\n", "y = np.pad(np.asarray(y, dtype=np.float64), int(sr * frame_length_ms / 1000) // 2)\n")]),
    wrong("kaldi_frames", "the hop rounded up (ceil) instead of truncated", replace=[
        ("hop_length = int(sr * frame_shift_ms / 1000)", "hop_length = int(np.ceil(sr * frame_shift_ms / 1000))")]),
    wrong("kaldi_frames", "off by one: (N - L) // H frames", replace=[("else 1 + (len(y) - win_length) // hop_length", "else (len(y) - win_length) // hop_length")]),
    wrong("kaldi_frames", "float32 frames", replace=[("np.asarray(y, dtype=np.float64)", "np.asarray(y, dtype=np.float32)")]),
    right("kaldi_frames", "a list of slices stacked as rows", """
def kaldi_frames(y, sr, frame_length_ms=25.0, frame_shift_ms=10.0):
    L, H = int(sr * frame_length_ms / 1000), int(sr * frame_shift_ms / 1000)
    y = np.asarray(y, dtype=np.float64)
    rows = [y[s:s + L] for s in range(0, len(y) - L + 1, H)]
    return np.array(rows).reshape(len(rows), L)
"""),
    # Part B: kaldi_window
    wrong("kaldi_window", "periodic windows (divide by L, not L - 1)", replace=[("n / (win_length - 1))", "n / win_length)")]),
    wrong("kaldi_window", "Povey's exponent 0.8", replace=[("** 0.85", "** 0.8")]),
    wrong("kaldi_window", "an unknown name falls back to rectangular", replace=[('if window_type == "rectangular":', "if True:")]),
    wrong("kaldi_window", "scipy's periodic Hann for 'hanning'", replace=[
        ('if window_type == "hanning":\n        return 0.5 - 0.5 * cosine', 'if window_type == "hanning":\n        import scipy.signal\n        return scipy.signal.get_window("hann", win_length)')]),
    right("kaldi_window", "NumPy's symmetric np.hanning and np.hamming", """
def kaldi_window(window_type, win_length):
    table = {"hanning": np.hanning, "hamming": np.hamming, "rectangular": np.ones,
             "povey": lambda L: np.hanning(L) ** 0.85}
    if window_type not in table:
        raise ValueError(f"unknown window {window_type!r}")
    return np.asarray(table[window_type](win_length), dtype=np.float64)
"""),
    # Part C: kaldi_mel, kaldi_mel_banks
    wrong("kaldi_mel", "HTK's 2595 log10 (5e-6 off)", "def kaldi_mel(f):\n    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)\n"),
    wrong("kaldi_mel", "log10 with Kaldi's constant", "def kaldi_mel(f):\n    return 1127.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)\n"),
    wrong("kaldi_mel", "ln(f / 700) without the 1 +", "def kaldi_mel(f):\n    return 1127.0 * np.log(np.maximum(np.asarray(f, dtype=np.float64), 1e-9) / 700.0)\n"),
    right("kaldi_mel", "math.log over a loop of elements", """
import math
def kaldi_mel(f):
    arr = np.asarray(f, dtype=np.float64)
    return np.vectorize(lambda v: 1127.0 * math.log(1.0 + v / 700.0), otypes=[np.float64])(arr)
"""),
    wrong("kaldi_mel_banks", "the Nyquist column left out (n_fft // 2 columns)", replace=[
        ("return np.pad(weights, ((0, 0), (0, 1)))", "return weights")]),
    wrong("kaldi_mel_banks", "triangles linear in Hz instead of mel", replace=[
        ("mu = kaldi_mel(np.arange(n_fft // 2) * sr / n_fft)[None, :]", "mu = (np.arange(n_fft // 2) * sr / n_fft)[None, :]"),
        ("left, centre, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]",
         "edges = 700.0 * np.expm1(edges / 1127.0)\n    left, centre, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]")]),
    wrong("kaldi_mel_banks", "edges spaced by (mel_high - mel_low) / n_mels", replace=[("/ (n_mels + 1) * np.arange", "/ n_mels * np.arange")]),
    wrong("kaldi_mel_banks", "a negative high_freq taken as sr / 2", replace=[("high_freq = sr / 2 + high_freq", "high_freq = sr / 2")]),
    wrong("kaldi_mel_banks", "librosa's Slaney filterbank (area-normalised) instead of Kaldi's", """
def kaldi_mel_banks(sr, n_fft, n_mels, low_freq=20.0, high_freq=0.0):
    fmax = sr / 2 + high_freq if high_freq <= 0 else high_freq
    return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=low_freq, fmax=fmax).astype(np.float64)
"""),
    right("kaldi_mel_banks", "one filter at a time, np.interp in the mel domain", """
def kaldi_mel_banks(sr, n_fft, n_mels, low_freq=20.0, high_freq=0.0):
    high = sr / 2 + high_freq if high_freq <= 0 else high_freq
    edges = np.linspace(kaldi_mel(low_freq), kaldi_mel(high), n_mels + 2)
    mu = kaldi_mel(np.arange(n_fft // 2) * sr / n_fft)
    W = np.zeros((n_mels, n_fft // 2 + 1))
    for i in range(n_mels):
        W[i, :-1] = np.interp(mu, edges[i:i + 3], [0.0, 1.0, 0.0], left=0.0, right=0.0)
    return W
"""),
    # Part D: fbank
    wrong("fbank", "magnitude spectrum instead of power", replace=[("power = spectrum.real ** 2 + spectrum.imag ** 2", "power = np.abs(spectrum)")]),
    wrong("fbank", "log10 instead of the natural log", replace=[("return np.log(np.maximum(energies, floor))", "return np.log10(np.maximum(energies, floor))")]),
    wrong("fbank", "no zero padding to the next power of two (n_fft = frame length)", replace=[
        ("n_fft = 1 << int(np.ceil(np.log2(frames.shape[1])))", "n_fft = frames.shape[1] + frames.shape[1] % 2")]),
    wrong("fbank", "pre-emphasis before DC removal", """
def fbank(y, sr=16000, n_mels=128, frame_length_ms=25.0, frame_shift_ms=10.0, window="hanning",
          preemph=0.97, remove_dc=True, low_freq=20.0, high_freq=0.0, floor=EPS):
    frames = kaldi_frames(y, sr, frame_length_ms, frame_shift_ms)
    if preemph:
        frames = frames - preemph * np.concatenate([frames[:, :1], frames[:, :-1]], axis=1)
    if remove_dc:
        frames = frames - frames.mean(axis=1, keepdims=True)
    frames = frames * kaldi_window(window, frames.shape[1])
    n_fft = 1 << int(np.ceil(np.log2(frames.shape[1])))
    power = np.abs(np.fft.rfft(frames, n=n_fft, axis=1)) ** 2
    return np.log(np.maximum(power @ kaldi_mel_banks(sr, n_fft, n_mels, low_freq, high_freq).T, floor))
"""),
    wrong("fbank", "pre-emphasis with x[-1] = 0 (first sample kept as x[0])", replace=[
        ("previous = np.concatenate([frames[:, :1], frames[:, :-1]], axis=1)", "previous = np.concatenate([0 * frames[:, :1], frames[:, :-1]], axis=1)")]),
    wrong("fbank", "the window applied before DC removal and pre-emphasis", """
def fbank(y, sr=16000, n_mels=128, frame_length_ms=25.0, frame_shift_ms=10.0, window="hanning",
          preemph=0.97, remove_dc=True, low_freq=20.0, high_freq=0.0, floor=EPS):
    frames = kaldi_frames(y, sr, frame_length_ms, frame_shift_ms) * kaldi_window(window, int(sr * frame_length_ms / 1000))
    if remove_dc:
        frames = frames - frames.mean(axis=1, keepdims=True)
    if preemph:
        frames = frames - preemph * np.concatenate([frames[:, :1], frames[:, :-1]], axis=1)
    n_fft = 1 << int(np.ceil(np.log2(frames.shape[1])))
    power = np.abs(np.fft.rfft(frames, n=n_fft, axis=1)) ** 2
    return np.log(np.maximum(power @ kaldi_mel_banks(sr, n_fft, n_mels, low_freq, high_freq).T, floor))
"""),
    wrong("fbank", "no floor before the log (log 0 = -inf)", replace=[("np.log(np.maximum(energies, floor))", "np.log(energies + 0.0)")]),
    right("fbank", "DC removal and pre-emphasis in place, spectrum in float32", FBANK_INPLACE_F32),
    # Part E: dataset_stats, normalize, normalize_per_sample
    wrong("normalize", "dataset_stats per band (one mean and std per mel band)", """
def dataset_stats(X):
    X = np.asarray(X, dtype=np.float64)
    return X.mean(axis=(0, 1)), X.std(axis=(0, 1))
"""),
    wrong("normalize", "normalize divides by one std, not two", "def normalize(X, mean, std):\n    return (np.asarray(X) - mean) / std\n"),
    wrong("normalize", "normalize_per_sample with the statistics of the whole batch",
          "def normalize_per_sample(X):\n    X = np.asarray(X)\n    return (X - X.mean()) / X.std()\n"),
    wrong("normalize", "normalize_per_sample per clip and band (axis 1 only)",
          "def normalize_per_sample(X):\n    X = np.asarray(X)\n    return (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)\n"),
    right("normalize", "torch (std with correction=0) for the statistics and the per-clip standardisation", """
def dataset_stats(X):
    t = torch.as_tensor(np.asarray(X), dtype=torch.float64)
    return t.mean().item(), t.std(correction=0).item()

def normalize_per_sample(X):
    t = torch.as_tensor(np.asarray(X), dtype=torch.float64)
    return ((t - t.mean(dim=(1, 2), keepdim=True)) / t.std(dim=(1, 2), correction=0, keepdim=True)).numpy()
"""),
    # Part F: num_patches, PatchEmbed
    wrong("num_patches", "ceil instead of floor (a partial patch counted)", replace=[
        ("f_dim = 1 + (n_mels - patch) // fstride", "f_dim = 1 + -(-(n_mels - patch) // fstride)"),
        ("t_dim = 1 + (n_frames - patch) // tstride", "t_dim = 1 + -(-(n_frames - patch) // tstride)")]),
    wrong("num_patches", "no 1 + (the first patch forgotten)", replace=[
        ("f_dim = 1 + (n_mels - patch) // fstride", "f_dim = (n_mels - patch) // fstride"),
        ("t_dim = 1 + (n_frames - patch) // tstride", "t_dim = (n_frames - patch) // tstride")]),
    wrong("num_patches", "n // stride patches (the patch size ignored)", replace=[
        ("f_dim = 1 + (n_mels - patch) // fstride", "f_dim = n_mels // fstride"),
        ("t_dim = 1 + (n_frames - patch) // tstride", "t_dim = n_frames // tstride")]),
    wrong("num_patches", "no ValueError for a spectrogram smaller than a patch", replace=[("if n_mels < patch or n_frames < patch:", "if False:")]),
    wrong("num_patches", "strides swapped", replace=[("// fstride", "// TSTRIDE"), ("// tstride", "// fstride"), ("// TSTRIDE", "// tstride")]),
    right("num_patches", "counting patch starts with range", """
def num_patches(n_mels, n_frames, patch=16, fstride=10, tstride=10):
    if min(n_mels, n_frames) < patch:
        raise ValueError("smaller than one patch")
    f_dim, t_dim = len(range(0, n_mels - patch + 1, fstride)), len(range(0, n_frames - patch + 1, tstride))
    return f_dim, t_dim, f_dim * t_dim
"""),
    wrong("PatchEmbed", "no transpose: time taken as the image height", replace=[
        ("x = x.transpose(1, 2).unsqueeze(1)", "x = x.unsqueeze(1)")]),
    wrong("PatchEmbed", "tokens time-major (the grid flattened column by column)", replace=[
        ("return x.flatten(2).transpose(1, 2)", "return x.transpose(2, 3).flatten(2).transpose(1, 2)")]),
    wrong("PatchEmbed", "non-overlapping patches (stride = patch)", replace=[("stride=(fstride, tstride))", "stride=patch)")]),
    right("PatchEmbed", "permute and reshape instead of transpose and flatten", replace=[
        ("x = x.transpose(1, 2).unsqueeze(1)", "x = x.permute(0, 2, 1)[:, None]"),
        ("return x.flatten(2).transpose(1, 2)", "return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1, x.shape[1])")]),
    # Part G: MultiHeadSelfAttention
    wrong("MultiHeadSelfAttention", "scaled by sqrt(embed_dim) instead of sqrt(head_dim)", replace=[("/ math.sqrt(self.head_dim)", "/ math.sqrt(embed_dim)")]),
    wrong("MultiHeadSelfAttention", "softmax over the queries", replace=[("/ math.sqrt(self.head_dim), dim=-1)", "/ math.sqrt(self.head_dim), dim=-2)")]),
    wrong("MultiHeadSelfAttention", "keys and queries swapped in the qkv split", replace=[("q, k, v = qkv.permute", "k, q, v = qkv.permute")]),
    wrong("MultiHeadSelfAttention", "heads interleaved (reshape to head_dim x heads)", replace=[
        ("reshape(batch, n_tokens, 3, self.num_heads, self.head_dim)", "reshape(batch, n_tokens, 3, self.head_dim, self.num_heads).transpose(-1, -2)")]),
    wrong("MultiHeadSelfAttention", "no 1 / sqrt(d) scaling", replace=[("/ math.sqrt(self.head_dim)", "/ 1.0")]),
    right("MultiHeadSelfAttention", "split and einsum, no dropout module", MHSA_EINSUM),
    # Part H: ASTConfig, TransformerBlock, AST
    wrong("ASTConfig", "input_frames a constant field (512)", replace=[
        ('    @property\n    def input_frames(self):\n        """Frames the model sees: target_length // time_pool."""\n        return self.target_length // self.time_pool',
         "    input_frames: int = 512")]),
    wrong("ASTConfig", "input_frames with true division", replace=[("return self.target_length // self.time_pool", "return self.target_length / self.time_pool")]),
    wrong("ASTConfig", "embed_dim without a type annotation (a class attribute, not a field)", replace=[("embed_dim: int = 768", "embed_dim = 768")]),
    wrong("ASTConfig", "depth 6", replace=[("depth: int = 12", "depth: int = 6")]),
    right("ASTConfig", "input_frames computed in __post_init__ (a field with init=False)", replace=[
        ('    @property\n    def input_frames(self):\n        """Frames the model sees: target_length // time_pool."""\n        return self.target_length // self.time_pool',
         "    input_frames: int = field(init=False, default=0)\n\n    def __post_init__(self):\n        self.input_frames = self.target_length // self.time_pool"),
        ("@dataclass\nclass ASTConfig:", "from dataclasses import field\n\n@dataclass\nclass ASTConfig:")]),
    wrong("TransformerBlock", "post-norm: norm(x + attn(x))", replace=[
        ("x = x + self.attn(self.norm1(x))\n        return x + self.drop(self.fc2(self.drop(self.act(self.fc1(self.norm2(x))))))",
         "x = self.norm1(x + self.attn(x))\n        return self.norm2(x + self.fc2(self.act(self.fc1(x))))")]),
    wrong("TransformerBlock", "ReLU instead of GELU", replace=[("self.act, self.drop = nn.GELU(),", "self.act, self.drop = nn.ReLU(),")]),
    wrong("TransformerBlock", "no residual around the MLP", replace=[("return x + self.drop(self.fc2(", "return (self.fc2(")]),
    wrong("TransformerBlock", "one LayerNorm for both sublayers", replace=[("self.fc1(self.norm2(x))", "self.fc1(self.norm1(x))")]),
    right("TransformerBlock", "functional GELU and named intermediate steps", replace=[
        ("x = x + self.attn(self.norm1(x))\n        return x + self.drop(self.fc2(self.drop(self.act(self.fc1(self.norm2(x))))))",
         "attended = x + self.attn(self.norm1(x))\n        hidden = F.gelu(self.fc1(self.norm2(attended)))\n        return attended + self.fc2(hidden)")]),
    wrong("AST", "mean over the tokens instead of the [CLS] token", replace=[("return self.head(self.norm(x)[:, 0])", "return self.head(self.norm(x).mean(dim=1))")]),
    wrong("AST", "[CLS] appended after the patches", replace=[("torch.cat([cls, tokens], dim=1)", "torch.cat([tokens, cls], dim=1)")]),
    wrong("AST", "no final LayerNorm", replace=[("return self.head(self.norm(x)[:, 0])", "return self.head(x[:, 0])")]),
    wrong("AST", "positions left at zero (no trunc_normal_ init)", replace=[("nn.init.trunc_normal_(self.pos_embed, std=0.02)", "pass")]),
    wrong("AST", "no position for [CLS]: the positions added to the patches only", replace=[
        ("torch.zeros(1, n_tokens + 1, cfg.embed_dim)", "torch.zeros(1, n_tokens, cfg.embed_dim)"),
        ("x = torch.cat([cls, tokens], dim=1) + self.pos_embed", "x = torch.cat([cls, tokens + self.pos_embed], dim=1)")]),
    right("AST", "repeat instead of expand, blocks in an nn.Sequential-like loop over children", replace=[
        ("cls = self.cls_token.expand(len(x), -1, -1)", "cls = self.cls_token.repeat(x.shape[0], 1, 1)"),
        ("for block in self.blocks:\n            x = block(x)", "for i in range(len(self.blocks)):\n            x = self.blocks[i](x)")]),
    # Part I: train_fold
    wrong("train_fold", "trained on the test fold", replace=[
        ("for idx in torch.randperm(len(X_train), generator=generator).split(cfg.batch_size):\n            batch = spec_augment(X_train[idx], cfg.freqm, cfg.timem, generator)\n            loss = F.cross_entropy(model(batch), y_train[idx])",
         "for idx in torch.randperm(len(X_test), generator=generator).split(cfg.batch_size):\n            batch = spec_augment(X_test[idx], cfg.freqm, cfg.timem, generator)\n            loss = F.cross_entropy(model(batch), y_test.to(cfg.device)[idx])")]),
    wrong("train_fold", "test accuracy measured on the training set", replace=[
        ('pred = predict(model, X_test).cpu()\n        history["test_acc"].append(float((pred == y_test).float().mean()))',
         'history["test_acc"].append(float((predict(model, X_train).cpu() == y_train.cpu()).float().mean()))\n        pred = predict(model, X_test).cpu()')]),
    wrong("train_fold", "the learning-rate decay stepped after every batch", replace=[
        ("            optimizer.step()\n", "            optimizer.step()\n            scheduler.step()\n"),
        ("        scheduler.step()\n        history", "        history")]),
    wrong("train_fold", "the epoch loss is the last batch's loss", replace=[
        ('history["train_loss"].append(total / len(X_train))', 'history["train_loss"].append(loss.item())')]),
    wrong("train_fold", "no optimizer.zero_grad (gradients accumulate)", replace=[("            optimizer.zero_grad()\n", "")]),
    right("train_fold", "an index loop, the decay written by hand, summed losses", TRAIN_FOLD_LOOP),
]
