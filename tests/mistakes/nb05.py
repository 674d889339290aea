"""Mistake catalogue of 05_audio_classification: features, augmentation, three models, training, metrics."""

from mistakes.runner import right, wrong

NOTEBOOK = "05_audio_classification"
# Only the cells with a grade_id, plus the data set cell (`clips`, read by hidden tests) and
# n_parameters. Not run: the feature extraction of all 400 clips and the two 12-epoch trainings,
# whose only grade cell is test_trained_cnn (a wrong train_model is caught by test_train_model).
ONLY_GRADED = True
KEEP = ("starts: sr = 16000", "starts: def n_parameters")
NOT_RERUN = {"test_trained_cnn": "needs the 12-epoch training of the CNN on 320 clips (about a minute)"}

TRAIN_DATALOADER = '''
def train_model(model, X, y, epochs=12, lr=3e-3, batch_size=32, augment=None, seed=0, progress=True,
                device="cpu"):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = model.to(device)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=batch_size,
                                         shuffle=True)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * len(loader))
    history = []
    for _ in range(epochs):
        model.train()
        loss_sum = 0.0
        for xb, yb in loader:
            if augment is not None:
                xb = torch.stack([torch.as_tensor(augment(x.numpy(), rng)) for x in xb])
            loss = nn.functional.cross_entropy(model(xb.to(device)), yb.to(device), reduction="sum")
            opt.zero_grad()
            (loss / len(xb)).backward()
            opt.step()
            sched.step()
            loss_sum += loss.item()
        history.append(loss_sum / len(X))
    return history
'''

VARIANTS = [
    # Part A: log_mel
    wrong("log_mel", "magnitude mel spectrogram (power=1)", replace=[("power=2.0)", "power=1.0)")]),
    wrong("log_mel", "no per-sample normalisation", replace=[(
        "return ((S_db - S_db.mean()) / (S_db.std() + 1e-8)).astype(np.float32)", "return S_db.astype(np.float32)")]),
    wrong("log_mel", "normalised per band (axis 1) instead of over the whole array", replace=[(
        "((S_db - S_db.mean()) / (S_db.std() + 1e-8))",
        "((S_db - S_db.mean(axis=1, keepdims=True)) / (S_db.std(axis=1, keepdims=True) + 1e-8))")]),
    wrong("log_mel", "no 80 dB floor (top_db=None)", replace=[("top_db=80.0)", "top_db=None)")]),
    wrong("log_mel", "natural log: after normalisation only the floor notices (80 'dB' is 35 dB)", replace=[(
        "S_db = librosa.power_to_db(S, ref=np.max, top_db=80.0)",
        "S_db = 10 * np.log(np.maximum(S, 1e-10) / S.max()); S_db = np.maximum(S_db, S_db.max() - 80.0)")]),
    wrong("log_mel", "float64 output", replace=[(".astype(np.float32)", "")]),
    wrong("log_mel", "hop_length not passed on", replace=[("hop_length=hop_length, n_mels", "n_mels")]),
    right("log_mel", "ref=1.0 (the normalisation removes the constant offset), statistics in float64", """
def log_mel(y, sr, n_fft=1024, hop_length=512, n_mels=40):
    S = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)
    S_db = librosa.power_to_db(S, ref=1.0, top_db=80.0).astype(np.float64)
    return ((S_db - S_db.mean()) / S_db.std()).astype(np.float32)
"""),
    # Part B: add_noise, time_shift, time_stretch, spec_augment
    wrong("add_noise", "amplitude ratio 10 ** (snr / 20) used as a power ratio",
          replace=[("10 ** (snr_db / 10)", "10 ** (snr_db / 20)")]),
    wrong("add_noise", "noise from the global np.random, not rng",
          replace=[("noise = rng.standard_normal(len(y))", "noise = np.random.standard_normal(len(y))")]),
    wrong("add_noise", "SNR sign inverted", replace=[("10 ** (snr_db / 10)", "10 ** (-snr_db / 10)")]),
    wrong("add_noise", "noise power assumed to be exactly 1 (not measured)", replace=[
        ("np.sqrt(np.sum(y ** 2) / (10 ** (snr_db / 10) * np.sum(noise ** 2)))",
         "np.sqrt(np.mean(y ** 2) / 10 ** (snr_db / 10))")]),
    wrong("add_noise", "uniform noise (rng.random) instead of Gaussian",
          replace=[("noise = rng.standard_normal(len(y))", "noise = rng.random(len(y)) - 0.5")]),
    right("add_noise", "RMS scaling with an amplitude gain 10 ** (-snr / 20)", """
def add_noise(y, snr_db, rng):
    noise = rng.standard_normal(len(y))
    rms = lambda a: np.sqrt(np.mean(np.square(a)))
    return y + noise * (rms(y) / rms(noise)) * 10 ** (-snr_db / 20)
"""),
    wrong("time_shift", "np.roll: the end wraps around to the start",
          "def time_shift(y, shift):\n    return np.roll(y, shift)\n"),
    wrong("time_shift", "direction reversed", replace=[("if shift >= 0:", "shift = -shift\n    if shift >= 0:")]),
    wrong("time_shift", "|shift| beyond the length not handled", """
def time_shift(y, shift):
    out = np.zeros_like(y)
    if shift >= 0:
        out[shift:] = y[:len(y) - shift]
    else:
        out[:shift] = y[-shift:]
    return out
"""),
    wrong("time_shift", "shift 0 gives silence (y[:-shift] with shift = 0)", """
def time_shift(y, shift):
    out = np.zeros_like(y)
    n = len(y)
    if shift > 0:
        out[shift:] = y[:max(n - shift, 0)]
    else:
        k = min(-shift, n)
        out[:n - k] = y[k:] if k else y[:0]
    return out
"""),
    right("time_shift", "np.pad then a slice", """
def time_shift(y, shift):
    n = len(y)
    s = max(-n, min(n, int(shift)))
    padded = np.pad(y, (max(s, 0), max(-s, 0)))
    return padded[:n] if s >= 0 else padded[-s:]
"""),
    wrong("time_stretch", "rate inverted (1 / rate)", replace=[("rate=rate)", "rate=1 / rate)")]),
    wrong("time_stretch", "length not fixed", replace=[(
        "librosa.util.fix_length(librosa.effects.time_stretch(y, rate=rate), size=len(y))",
        "librosa.effects.time_stretch(y, rate=rate)")]),
    wrong("time_stretch", "resampling (changes the pitch) instead of the phase vocoder", """
def time_stretch(y, rate):
    return librosa.util.fix_length(librosa.resample(y, orig_sr=rate * 1000, target_sr=1000), size=len(y))
"""),
    wrong("time_stretch", "padded at the start instead of the end", """
def time_stretch(y, rate):
    out = librosa.effects.time_stretch(y, rate=rate)[:len(y)]
    return np.pad(out, (len(y) - len(out), 0))
"""),
    right("time_stretch", "cut and pad by hand", """
def time_stretch(y, rate):
    out = librosa.effects.time_stretch(y, rate=rate)[:len(y)]
    return np.concatenate([out, np.zeros(len(y) - len(out), dtype=out.dtype)])
"""),
    wrong("spec_augment", "masks written into the input (no copy)", replace=[("X = np.array(X, copy=True)", "X = np.asarray(X)")]),
    wrong("spec_augment", "frequency masks on frames and time masks on bands (axes swapped)", replace=[
        ("X[start:start + width, :] = mask_value", "X[:, start:start + width] = mask_value"),
        ("X[:, start:start + width] = mask_value\n    return", "X[start:start + width, :] = mask_value\n    return"),
        ("min(max_freq_width, n_mels)", "min(max_freq_width, n_frames)"), ("n_mels - width + 1", "n_frames - width + 1"),
        ("min(max_time_width, n_frames)", "min(max_time_width, n_mels)"), ("n_frames - width + 1)\n        X[:, ", "n_mels - width + 1)\n        X[:, ")]),
    wrong("spec_augment", "mask starts drawn in 0..n-1: masks cut short at the end", replace=[
        ("start = rng.integers(0, n_mels - width + 1)", "start = rng.integers(0, n_mels)"),
        ("start = rng.integers(0, n_frames - width + 1)", "start = rng.integers(0, n_frames)")]),
    wrong("spec_augment", "F not capped at the axis length (F > n_mels raises)", replace=[
        ("min(max_freq_width, n_mels) + 1", "max_freq_width + 1"), ("min(max_time_width, n_frames) + 1", "max_time_width + 1")]),
    wrong("spec_augment", "widths drawn from 1..F (never 0)", replace=[
        ("rng.integers(0, min(max_freq_width, n_mels) + 1)", "rng.integers(1, min(max_freq_width, n_mels) + 1)"),
        ("rng.integers(0, min(max_time_width, n_frames) + 1)", "rng.integers(1, min(max_time_width, n_frames) + 1)")]),
    wrong("spec_augment", "mask_value ignored (always 0)", replace=[("] = mask_value", "] = 0.0")]),
    wrong("spec_augment", "draws from the global np.random instead of rng", replace=[("rng.integers(", "np.random.randint(")]),
    wrong("spec_augment", "every mask exactly F wide", replace=[
        ("width = rng.integers(0, min(max_freq_width, n_mels) + 1)", "width = min(max_freq_width, n_mels)"),
        ("width = rng.integers(0, min(max_time_width, n_frames) + 1)", "width = min(max_time_width, n_frames)")]),
    right("spec_augment", "torchaudio's convention, widths in 0..F-1", replace=[
        ("rng.integers(0, min(max_freq_width, n_mels) + 1)", "rng.integers(0, max(min(max_freq_width, n_mels), 1))"),
        ("rng.integers(0, min(max_time_width, n_frames) + 1)", "rng.integers(0, max(min(max_time_width, n_frames), 1))")]),
    right("spec_augment", "boolean masks from index comparisons, applied once with np.where", """
def spec_augment(X, n_freq_masks, max_freq_width, n_time_masks, max_time_width, rng, mask_value=0.0):
    n_mels, n_frames = X.shape
    band, frame = np.arange(n_mels), np.arange(n_frames)
    rows, cols = np.zeros(n_mels, bool), np.zeros(n_frames, bool)
    for _ in range(n_freq_masks):
        w = rng.integers(0, min(max_freq_width, n_mels) + 1)
        s = rng.integers(0, n_mels - w + 1)
        rows |= (band >= s) & (band < s + w)
    for _ in range(n_time_masks):
        w = rng.integers(0, min(max_time_width, n_frames) + 1)
        s = rng.integers(0, n_frames - w + 1)
        cols |= (frame >= s) & (frame < s + w)
    return np.where(rows[:, None] | cols[None, :], np.asarray(mask_value, X.dtype), X)
"""),
    # Part C: the three models
    wrong("AudioCNN", "no BatchNorm", replace=[("nn.BatchNorm2d(c_out), ", "")]),
    wrong("AudioCNN", "flatten instead of adaptive pooling (works for one length only)", replace=[
        ("self.pool = nn.AdaptiveAvgPool2d(1)", "self.pool = nn.Identity()"),
        ("self.classifier = nn.Linear(c_in, n_classes)", "self.classifier = nn.LazyLinear(n_classes)")]),
    wrong("AudioCNN", "5 x 5 kernels", replace=[("nn.Conv2d(c_in, c_out, 3, padding=1)", "nn.Conv2d(c_in, c_out, 5, padding=2)")]),
    wrong("AudioCNN", "no ReLU", replace=[("nn.ReLU(), ", "")]),
    wrong("AudioCNN", "bands as channels of a Conv1d over time", """
class AudioCNN(nn.Module):
    def __init__(self, n_mels=40, n_classes=10, channels=(16, 32, 64)):
        super().__init__()
        blocks, c_in = [], n_mels
        for c_out in channels:
            blocks += [nn.Conv1d(c_in, c_out, 3, padding=1), nn.BatchNorm1d(c_out), nn.ReLU(), nn.MaxPool1d(2)]
            c_in = c_out
        self.features = nn.Sequential(*blocks)
        self.classifier = nn.Linear(c_in, n_classes)

    def forward(self, x):
        return self.classifier(self.features(x).mean(dim=2))
"""),
    right("AudioCNN", "blocks as nested Sequentials, global mean by .mean((2, 3))", """
class AudioCNN(nn.Module):
    def __init__(self, n_mels=40, n_classes=10, channels=(16, 32, 64)):
        super().__init__()
        sizes = [1, *channels]
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Conv2d(a, b, kernel_size=(3, 3), padding=(1, 1)), nn.BatchNorm2d(b),
                          nn.ReLU(inplace=True), nn.MaxPool2d(kernel_size=2))
            for a, b in zip(sizes[:-1], sizes[1:]))
        self.head = nn.Linear(sizes[-1], n_classes)

    def forward(self, x):
        h = x[:, None]
        for block in self.blocks:
            h = block(h)
        return self.head(h.mean(dim=(2, 3)))
"""),
    wrong("AudioRNN", "unidirectional LSTM", replace=[("bidirectional=True)", "bidirectional=False)"),
                                                      ("nn.Linear(2 * hidden", "nn.Linear(hidden")]),
    wrong("AudioRNN", "batch_first=False fed a batch-first sequence", replace=[("batch_first=True", "batch_first=False")]),
    wrong("AudioRNN", "the last output instead of the mean over time",
          replace=[("return self.classifier(h.mean(dim=1))", "return self.classifier(h[:, -1])")]),
    wrong("AudioRNN", "time and bands not transposed (LSTM over the bands)", replace=[
        ("nn.LSTM(n_mels, hidden", "nn.LSTM(n_mels if False else 1, hidden"),
        ("h, _ = self.lstm(x.transpose(1, 2))", "h, _ = self.lstm(x.reshape(x.shape[0], -1, 1))")]),
    wrong("AudioRNN", "hidden size doubled", replace=[("nn.LSTM(n_mels, hidden,", "nn.LSTM(n_mels, 2 * hidden,"),
                                                     ("nn.Linear(2 * hidden", "nn.Linear(4 * hidden")]),
    right("AudioRNN", "a time-major LSTM with permute, mean over dim 0", """
class AudioRNN(nn.Module):
    def __init__(self, n_mels=40, n_classes=10, hidden=64):
        super().__init__()
        self.lstm = nn.LSTM(input_size=n_mels, hidden_size=hidden, bidirectional=True, batch_first=True)
        self.out = nn.Linear(2 * hidden, n_classes)

    def forward(self, x):
        self.lstm.batch_first = False
        h, _ = self.lstm(x.permute(2, 0, 1))
        self.lstm.batch_first = True
        return self.out(h.mean(dim=0))
"""),
    wrong("AudioTransformer", "no positions", replace=[("h = h + self.pos[:, :h.shape[1]]", "pass"),
                                                     ("self.pos = nn.Parameter(", "self.pos = (")]),
    wrong("AudioTransformer", "fixed sinusoidal positions (a buffer, not learned)", replace=[(
        "self.pos = nn.Parameter(0.02 * torch.randn(1, max_len, d_model))",
        "t = torch.arange(max_len)[:, None] / 10000 ** (torch.arange(d_model)[None] / d_model)\n"
        "        self.register_buffer('pos', torch.where(torch.arange(d_model) % 2 == 0, t.sin(), t.cos())[None])")]),
    wrong("AudioTransformer", "batch_first missing (the encoder mixes the batch)", replace=[(", batch_first=True)", ")")]),
    wrong("AudioTransformer", "the first frame instead of the mean over time",
          replace=[("self.encoder(h).mean(dim=1)", "self.encoder(h)[:, 0]")]),
    wrong("AudioTransformer", "positions sized 512 whatever max_len", replace=[("torch.randn(1, max_len, d_model)", "torch.randn(1, 512, d_model)")]),
    right("AudioTransformer", "positions sliced with narrow, mean as sum / n_frames", replace=[
        ("h = h + self.pos[:, :h.shape[1]]", "h = h + self.pos.narrow(1, 0, h.shape[1])"),
        ("self.encoder(h).mean(dim=1)", "self.encoder(h).sum(dim=1) / h.shape[1]")]),
    # Part D: evaluate, train_model, confusion_matrix, per_class_accuracy
    wrong("evaluate", "model left in training mode (dropout on)", replace=[("    model.eval()\n", "")]),
    wrong("evaluate", "accuracy returned as a tensor, not a float", replace=[(".float().mean().item(), pred", ".float().mean(), pred")]),
    wrong("evaluate", "only the first batch predicted", replace=[("for i in range(0, len(X), batch_size)", "for i in range(0, 1)")]),
    wrong("evaluate", "argmax over the batch axis", replace=[(".argmax(dim=1)", ".argmax(dim=0)")]),
    right("evaluate", "inference_mode and a count of correct predictions", """
def evaluate(model, X, y, batch_size=128, device="cpu"):
    model.eval()
    preds, correct = [], 0
    with torch.inference_mode():
        for xb, yb in zip(X.split(batch_size), y.split(batch_size)):
            p = model(xb.to(device)).argmax(1).cpu()
            correct += int((p == yb).sum())
            preds.append(p)
    return correct / len(y), torch.cat(preds)
"""),
    wrong("train_model", "the epoch loss is the last batch's loss", replace=[("history.append(total / len(X))", "history.append(loss.item())")]),
    wrong("train_model", "the epoch loss is the mean of the batch means (unweighted)", replace=[
        ("order, total = torch.randperm(len(X)), 0.0", "order, total, n_b = torch.randperm(len(X)), 0.0, 0"),
        ("total += loss.item() * len(idx)", "total += loss.item(); n_b += 1"),
        ("history.append(total / len(X))", "history.append(total / n_b)")]),
    wrong("train_model", "augment not applied", replace=[("xb = X[idx] if augment is None else", "xb = X[idx] if True else")]),
    wrong("train_model", "the seed not used", replace=[("torch.manual_seed(seed)\n    rng", "rng")]),
    wrong("train_model", "OneCycle stepped once per epoch instead of after every batch", replace=[
        ("            schedule.step()\n", ""), ("        history.append(total / len(X))", "        schedule.step()\n        history.append(total / len(X))")]),
    wrong("train_model", "the last partial batch dropped", replace=[("for i in range(0, len(X), batch_size):", "for i in range(0, len(X) - batch_size + 1, batch_size):")]),
    wrong("train_model", "gradients never zeroed", replace=[("            optimizer.zero_grad()\n", "")]),
    right("train_model", "a DataLoader with shuffle, summed loss divided by the example count", TRAIN_DATALOADER),
    wrong("confusion_matrix", "transposed: rows are predictions", replace=[("y_true * n_classes + y_pred", "y_pred * n_classes + y_true")]),
    wrong("confusion_matrix", "n_classes taken from the labels present", replace=[
        ("minlength=n_classes ** 2).reshape(n_classes, n_classes)",
         "minlength=n_classes ** 2).reshape(n_classes, n_classes)[:max(y_true.max(), y_pred.max()) + 1, :max(y_true.max(), y_pred.max()) + 1]")]),
    wrong("confusion_matrix", "float counts", replace=[("return np.bincount(", "return 1.0 * np.bincount(")]),
    right("confusion_matrix", "np.add.at on a zero matrix", """
def confusion_matrix(y_true, y_pred, n_classes):
    C = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(C, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return C
"""),
    wrong("per_class_accuracy", "column sums (precision) instead of row sums", replace=[("C.sum(axis=1)", "C.sum(axis=0)")]),
    wrong("per_class_accuracy", "a plain division (warns on an empty row)",
          "def per_class_accuracy(C):\n    return np.diag(C) / C.sum(axis=1)\n"),
    wrong("per_class_accuracy", "0 instead of nan for an empty row", replace=[("np.diag(C) / totals, np.nan)", "np.diag(C) / totals, 0.0)")]),
    wrong("per_class_accuracy", "the overall accuracy for every class",
          "def per_class_accuracy(C):\n    return np.full(len(C), np.trace(C) / C.sum())\n"),
    right("per_class_accuracy", "np.divide with where and a nan-filled out array", """
def per_class_accuracy(C):
    C = np.asarray(C, dtype=float)
    return np.divide(np.diag(C), C.sum(1), out=np.full(len(C), np.nan), where=C.sum(1) > 0)
"""),
]
