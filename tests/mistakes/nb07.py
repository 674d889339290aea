"""Mistake catalogue of 07_spectttra: the mel front end, clips, token counts, positions, the tokenizer and
model, accuracy and the training loop. Entries for functions whose (t, f) argument order is being made
consistent are written as edits of the solution's body, so that they follow its signature."""

from mistakes.runner import right, wrong

NOTEBOOK = "07_spectttra"
# Only the cells with a grade_id; the detector's training (Part E3) and the speed study are not run.
ONLY_GRADED = True
NOT_RERUN = {"test_detector_accuracy": "needs the detector trained on 144 clips (Part E3)"}

VARIANTS = [
    # Part A: spectttra_mel
    wrong("spectttra_mel", "ref=np.max instead of ref=1.0", replace=[("ref=1.0, amin", "ref=np.max, amin")]),
    wrong("spectttra_mel", "magnitude mel spectrogram (power=1)", replace=[("power=2.0)", "power=1.0)")]),
    wrong("spectttra_mel", "fmin forgotten (bands from 0 Hz)", replace=[("fmin=FMIN, ", "")]),
    wrong("spectttra_mel", "padded at the start instead of the end", replace=[
        ("y16 = librosa.util.fix_length(y16, size=int(round(duration * SR)))",
         "n16 = int(round(duration * SR)); y16 = np.pad(y16[:n16], (n16 - len(y16[:n16]), 0))")]),
    wrong("spectttra_mel", "not resampled to 16 kHz", replace=[("y16 = audio.resample(y, sr, SR)", "y16 = y")]),
    right("spectttra_mel", "slice and pad by hand, the dB conversion written out in float64", """
def spectttra_mel(y, sr, duration=5.0):
    n = int(round(duration * 16000))
    y16 = audio.resample(y, sr, 16000)[:n]
    y16 = np.concatenate([y16, np.zeros(n - len(y16), dtype=y16.dtype)])
    S = librosa.feature.melspectrogram(y=y16, sr=16000, n_fft=2048, hop_length=512, n_mels=128, fmin=20.0, fmax=8000.0)
    S_db = 10.0 * np.log10(np.maximum(S.astype(np.float64), 1e-10))
    return np.maximum(S_db, S_db.max() - 80.0).astype(np.float32)
"""),
    # Part B: temporal_clips, spectral_clips
    wrong("temporal_clips", "reshaped without the transpose (bands and clips mixed)", replace=[
        ("return blocks.transpose(1, 0, 2).reshape(n_t, n_mels * t_clip)", "return blocks.reshape(n_t, n_mels * t_clip)")]),
    wrong("temporal_clips", "frame slowest, band fastest inside a clip", replace=[
        ("return blocks.transpose(1, 0, 2).reshape(n_t, n_mels * t_clip)", "return blocks.transpose(1, 2, 0).reshape(n_t, n_mels * t_clip)")]),
    wrong("temporal_clips", "a Python loop over clips (right values, not vectorised)", """
def temporal_clips(M, t_clip):
    return np.stack([M[:, j * t_clip:(j + 1) * t_clip].reshape(-1) for j in range(M.shape[1] // t_clip)])
"""),
    wrong("temporal_clips", "the first frames dropped instead of the last", replace=[
        ("blocks = M[:, : n_t * t_clip]", "blocks = M[:, n_frames - n_t * t_clip:]")]),
    right("temporal_clips", "a strided window view, every t_clip-th window", """
def temporal_clips(M, t_clip):
    windows = np.lib.stride_tricks.sliding_window_view(M, t_clip, axis=1)[:, ::t_clip]   # (n_mels, n_t, t_clip)
    return np.ascontiguousarray(windows.transpose(1, 0, 2)).reshape(windows.shape[1], -1)
"""),
    wrong("spectral_clips", "frame slowest, band fastest inside a clip", """
def spectral_clips(M, f_clip):
    n_f = M.shape[0] // f_clip
    return M[: n_f * f_clip].reshape(n_f, f_clip, -1).transpose(0, 2, 1).reshape(n_f, -1)
"""),
    wrong("spectral_clips", "the bottom bands dropped instead of the top", replace=[
        ("return M[: n_f * f_clip].reshape", "return M[n_mels - n_f * f_clip:].reshape")]),
    wrong("spectral_clips", "clips cut from the transposed spectrogram (frames as bands)", """
def spectral_clips(M, f_clip):
    n_f = M.shape[0] // f_clip
    return M[: n_f * f_clip].T.reshape(-1, n_f, f_clip).transpose(1, 0, 2).reshape(n_f, -1)
"""),
    right("spectral_clips", "np.split into n_f blocks, stacked and flattened", """
def spectral_clips(M, f_clip):
    n_f = M.shape[0] // f_clip
    return np.stack(np.split(M[: n_f * f_clip], n_f)).reshape(n_f, -1)
"""),
    # Part C: n_frames_for, spectttra_tokens, vit_tokens
    wrong("n_frames_for", "no + 1 (n_samples // hop_length)", "def n_frames_for(duration, sr=16000, hop_length=512):\n    return int(round(duration * sr)) // hop_length\n"),
    wrong("n_frames_for", "ceil(n_samples / hop_length)", "import math\ndef n_frames_for(duration, sr=16000, hop_length=512):\n    return math.ceil(round(duration * sr) / hop_length)\n"),
    wrong("n_frames_for", "uncentred frames, 1 + (n - 2048) // hop", "def n_frames_for(duration, sr=16000, hop_length=512):\n    return 1 + (int(round(duration * sr)) - 2048) // hop_length\n"),
    right("n_frames_for", "math.floor on the float quotient", "import math\ndef n_frames_for(duration, sr=16000, hop_length=512):\n    return 1 + math.floor(round(duration * sr) / hop_length)\n"),
    wrong("spectttra_tokens", "the two counts multiplied", replace=[("return n_mels // f_clip + n_frames // t_clip", "return (n_mels // f_clip) * (n_frames // t_clip)")]),
    wrong("spectttra_tokens", "clip sizes swapped (bands // t_clip + frames // f_clip)", replace=[("return n_mels // f_clip + n_frames // t_clip", "return n_mels // t_clip + n_frames // f_clip")]),
    wrong("spectttra_tokens", "partial clips counted (ceil)", replace=[("return n_mels // f_clip + n_frames // t_clip", "return -(-n_mels // f_clip) - (-n_frames // t_clip)")]),
    right("spectttra_tokens", "len(range(...)) of the clip starts", replace=[("return n_mels // f_clip + n_frames // t_clip",
          "return len(range(0, n_mels - f_clip + 1, f_clip)) + len(range(0, n_frames - t_clip + 1, t_clip))")]),
    wrong("vit_tokens", "partial patches counted (ceil)", "def vit_tokens(n_mels, n_frames, patch=16):\n    return -(-n_mels // patch) * -(-n_frames // patch)\n"),
    wrong("vit_tokens", "area divided by the patch area", "def vit_tokens(n_mels, n_frames, patch=16):\n    return (n_mels * n_frames) // patch ** 2\n"),
    wrong("vit_tokens", "plus one [CLS] token", "def vit_tokens(n_mels, n_frames, patch=16):\n    return (n_mels // patch) * (n_frames // patch) + 1\n"),
    right("vit_tokens", "divmod", "def vit_tokens(n_mels, n_frames, patch=16):\n    return divmod(n_mels, patch)[0] * divmod(n_frames, patch)[0]\n"),
    # Part D: sinusoidal_table, conv_to_linear, STTokenizer, SpecTTTra
    wrong("sinusoidal_table", "concatenated halves [sin | cos] instead of interleaved", replace=[
        ("table[:, 0::2] = np.sin(p * omega)\n    table[:, 1::2] = np.cos(p * omega)",
         "table[:, : dim // 2] = np.sin(p * omega)\n    table[:, dim // 2:] = np.cos(p * omega)")]),
    wrong("sinusoidal_table", "sine and cosine swapped", replace=[
        ("table[:, 0::2] = np.sin(p * omega)\n    table[:, 1::2] = np.cos(p * omega)",
         "table[:, 0::2] = np.cos(p * omega)\n    table[:, 1::2] = np.sin(p * omega)")]),
    wrong("sinusoidal_table", "exponent i / dim instead of 2i / dim", replace=[("np.arange(0, dim, 2, dtype=np.float64) / dim", "np.arange(0, dim // 2, dtype=np.float64) / dim")]),
    wrong("sinusoidal_table", "a double loop (right values, not vectorised)", """
def sinusoidal_table(n_positions, dim, base=10000.0):
    table = np.zeros((n_positions, dim))
    for p in range(n_positions):
        for i in range(0, dim, 2):
            table[p, i], table[p, i + 1] = np.sin(p / base ** (i / dim)), np.cos(p / base ** (i / dim))
    return torch.from_numpy(table).float()
"""),
    wrong("sinusoidal_table", "a float64 tensor", replace=[("return torch.from_numpy(table).float()", "return torch.from_numpy(table)")]),
    right("sinusoidal_table", "torch throughout, sin and cos stacked on a last axis and flattened", """
def sinusoidal_table(n_positions, dim, base=10000.0):
    if dim % 2:
        raise ValueError("dim must be even")
    angle = torch.arange(n_positions, dtype=torch.float64)[:, None] / base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    return torch.stack([angle.sin(), angle.cos()], dim=-1).reshape(n_positions, dim).float()
"""),
    wrong("conv_to_linear", "no kernel/channel swap for spectral clips", replace=[('if kind == "spectral":\n        w = w.transpose(1, 2)', 'if kind == "spectral":\n        pass')]),
    wrong("conv_to_linear", "the swap applied to temporal clips too", replace=[('if kind == "spectral":\n        w = w.transpose(1, 2)', 'if kind in ("spectral", "temporal"):\n        w = w.transpose(1, 2)')]),
    wrong("conv_to_linear", "always a bias", replace=[("bias=conv.bias is not None)", "bias=True)")]),
    wrong("conv_to_linear", "the conv's weights not copied (a fresh Linear)", replace=[("linear.weight.copy_(w.reshape(w.shape[0], -1))", "pass")]),
    right("conv_to_linear", "permute and flatten, weights set through .data", """
def conv_to_linear(conv, kind):
    if kind not in ("temporal", "spectral"):
        raise ValueError(kind)
    w = conv.weight.detach()
    w = w.permute(0, 2, 1) if kind == "spectral" else w
    linear = nn.Linear(w[0].numel(), w.shape[0], bias=conv.bias is not None)
    linear.weight.data = w.flatten(1).clone()
    if conv.bias is not None:
        linear.bias.data = conv.bias.detach().clone()
    return linear
"""),
    wrong("STTokenizer", "one position table shared by both kinds of clips (spectral rows of the temporal table)", replace=[
        ("spectral = self.spectral_proj(M.transpose(1, 2)).transpose(1, 2) + self.spectral_pos",
         "spectral = self.spectral_proj(M.transpose(1, 2)).transpose(1, 2) + self.temporal_pos[-self.n_spectral:]")]),
    wrong("STTokenizer", "spectral tokens first", replace=[("return torch.cat([temporal, spectral], dim=1)", "return torch.cat([spectral, temporal], dim=1)")]),
    wrong("STTokenizer", "sinusoidal tables registered as parameters", replace=[
        ('self.register_buffer("temporal_pos", sinusoidal_table(self.n_temporal, dim))\n            self.register_buffer("spectral_pos", sinusoidal_table(self.n_spectral, dim))',
         'self.temporal_pos = nn.Parameter(sinusoidal_table(self.n_temporal, dim))\n            self.spectral_pos = nn.Parameter(sinusoidal_table(self.n_spectral, dim))')]),
    wrong("STTokenizer", "learnable tables initialised N(0, 1)", replace=[
        ("nn.Parameter(0.02 * torch.randn(self.n_temporal, dim))", "nn.Parameter(torch.randn(self.n_temporal, dim))"),
        ("nn.Parameter(0.02 * torch.randn(self.n_spectral, dim))", "nn.Parameter(torch.randn(self.n_spectral, dim))")]),
    wrong("STTokenizer", "no positions added to the spectral tokens", replace=[
        ("spectral = self.spectral_proj(M.transpose(1, 2)).transpose(1, 2) + self.spectral_pos", "spectral = self.spectral_proj(M.transpose(1, 2)).transpose(1, 2)")]),
    right("STTokenizer", "permute instead of transpose, positions added after the concatenation", replace=[
        ("temporal = self.temporal_proj(M).transpose(1, 2) + self.temporal_pos",
         "temporal = self.temporal_proj(M).permute(0, 2, 1)"),
        ("spectral = self.spectral_proj(M.transpose(1, 2)).transpose(1, 2) + self.spectral_pos",
         "spectral = self.spectral_proj(M.permute(0, 2, 1)).permute(0, 2, 1)"),
        ("return torch.cat([temporal, spectral], dim=1)",
         "return torch.cat([temporal, spectral], dim=1) + torch.cat([self.temporal_pos, self.spectral_pos])[None]")]),
    wrong("SpecTTTra", "no final LayerNorm", replace=[("norm=nn.LayerNorm(dim), ", "")]),
    wrong("SpecTTTra", "the first token instead of the mean", replace=[("self.encoder(self.tokenizer(M)).mean(dim=1)", "self.encoder(self.tokenizer(M))[:, 0]")]),
    wrong("SpecTTTra", "max pooling over tokens instead of the mean", replace=[("self.encoder(self.tokenizer(M)).mean(dim=1)", "self.encoder(self.tokenizer(M)).amax(dim=1)")]),
    wrong("SpecTTTra", "depth ignored (always 2 layers)", replace=[("nn.TransformerEncoder(layer, depth,", "nn.TransformerEncoder(layer, 2,")]),
    wrong("SpecTTTra", "post-norm encoder layers (norm_first=False)", replace=[("norm_first=True)", "norm_first=False)")]),
    right("SpecTTTra", "sum over tokens divided by their count", replace=[("self.encoder(self.tokenizer(M)).mean(dim=1)",
          "self.encoder(self.tokenizer(M)).sum(dim=1) / (self.tokenizer.n_temporal + self.tokenizer.n_spectral)")]),
    # Part E: accuracy, train_detector
    wrong("accuracy", "model left in training mode", replace=[("    model.eval()\n", "")]),
    wrong("accuracy", "gradients enabled (no torch.no_grad)", """
def accuracy(model, X, y, batch_size=64):
    model.eval()
    predicted = torch.cat([model(xb).argmax(dim=1) for xb in X.split(batch_size)])
    return float((predicted == y).float().mean())
"""),
    wrong("accuracy", "a tensor returned instead of a float", replace=[("return float((predicted == y).float().mean())", "return (predicted == y).float().mean()")]),
    wrong("accuracy", "argmax over the batch axis", replace=[(".argmax(dim=1)", ".argmax(dim=0)")]),
    wrong("accuracy", "only the last batch scored", """
def accuracy(model, X, y, batch_size=64):
    model.eval()
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            pred, yb = model(X[start:start + batch_size]).argmax(dim=1), y[start:start + batch_size]
    return float((pred == yb).float().mean())
"""),
    right("accuracy", "inference_mode and a running count", """
def accuracy(model, X, y, batch_size=64):
    model.eval()
    correct = 0
    with torch.inference_mode():
        for start in range(0, len(X), batch_size):
            correct += int((model(X[start:start + batch_size]).argmax(1) == y[start:start + batch_size]).sum())
    return correct / len(X)
"""),
    wrong("train_detector", "Adam instead of AdamW", replace=[("opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)", "opt = torch.optim.Adam(model.parameters(), lr=lr)")]),
    wrong("train_detector", "the shuffling generator not seeded", replace=[("shuffle = torch.Generator().manual_seed(seed)", "shuffle = torch.Generator()")]),
    wrong("train_detector", "the epoch loss is the last batch's loss", replace=[("losses.append(total / len(X))", "losses.append(loss.item())")]),
    wrong("train_detector", "no zero_grad", replace=[("            opt.zero_grad()\n", "")]),
    wrong("train_detector", "weight decay 0.01 left out (AdamW's default 0.01 is the same; 0 is not)", replace=[("weight_decay=0.01)", "weight_decay=0.0)")]),
    right("train_detector", "summed cross-entropy divided by the batch size, an index loop", """
def train_detector(model, X, y, epochs=10, batch_size=16, lr=2e-3, seed=0, device="cpu"):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    model.train()
    history = []
    for epoch in range(epochs):
        perm, loss_sum = torch.randperm(len(X), generator=gen), 0.0
        for start in range(0, len(X), batch_size):
            idx = perm[start:start + batch_size]
            xb, yb = X[idx].to(device), y[idx].to(device)
            loss = F.cross_entropy(model(xb), yb, reduction="sum")
            opt.zero_grad()
            (loss / len(idx)).backward()
            opt.step()
            loss_sum += loss.item()
        history.append(loss_sum / len(X))
    return history
"""),
]
