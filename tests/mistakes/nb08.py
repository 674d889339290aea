"""Mistake catalogue of 08_nca_spectrograms: dual spectrograms, perception, the update rule, the living
mask, one step, the masking fix, the losses and the spectral convergence."""

from mistakes.runner import right, wrong

NOTEBOOK = "08_nca_spectrograms"
# The cells with a grade_id (definitions, the canvas, the training state) plus the violin's
# spectrograms the canvas is cut from. Not run: the 450 training iterations, read only by the two
# grade cells of Part F (a wrong nca_step or loss is caught by the unit tests of Parts B-E).
ONLY_GRADED = True
KEEP = ("starts: SR, N_FFT, HOP, N_MELS = 22050",)
SKIP = {"training_loop": "the 450 training iterations (about a minute)"}
NOT_RERUN = {"test_trained_nca": "reads the trained automata", "test_stable_nca": "reads the trained automata"}

PERCEIVE_LOOP = '''
def perceive(grid):
    B, C, H, W = grid.shape
    k_x = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], dtype=grid.dtype, device=grid.device) / 8
    k_lap = torch.tensor([[1.0, 2.0, 1.0], [2.0, -12.0, 2.0], [1.0, 2.0, 1.0]], dtype=grid.dtype, device=grid.device) / 16
    outs = [grid]
    for k in (k_x, k_x.T, k_lap):
        per_channel = [F.conv2d(grid[:, c:c + 1], k[None, None], padding=1) for c in range(C)]
        outs.append(torch.cat(per_channel, dim=1))
    return torch.cat(outs, dim=1)
'''

VARIANTS = [
    # Part A: dual_spectrograms
    wrong("dual_spectrograms", "magnitude instead of power", replace=[("S = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length)) ** 2",
                                                                       "S = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length))")]),
    wrong("dual_spectrograms", "zeros padded at the start", replace=[("y = np.pad(y, (0, max(0,", "y = np.pad(y, (max(0,"), ("* hop_length - len(y))))", "* hop_length - len(y)), 0))")]),
    wrong("dual_spectrograms", "a full extra multiple added when the count already is one", replace=[
        ("n_frames = int(np.ceil((1 + len(y) // hop_length) / multiple)) * multiple",
         "n_frames = ((1 + len(y) // hop_length) // multiple + 1) * multiple")]),
    wrong("dual_spectrograms", "ref=1.0 instead of the maximum", replace=[("M_db = librosa.power_to_db(M, ref=np.max, top_db=80.0)\n    S_db = librosa.power_to_db(S, ref=np.max, top_db=80.0)",
                                                                          "M_db = librosa.power_to_db(M, top_db=80.0)\n    S_db = librosa.power_to_db(S, top_db=80.0)")]),
    wrong("dual_spectrograms", "no -80 dB floor", replace=[("top_db=80.0)", "top_db=None)")]),
    wrong("dual_spectrograms", "the mel filterbank applied to the magnitude", replace=[("melspectrogram(S=S, sr=sr", "melspectrogram(S=np.sqrt(S), sr=sr")]),
    right("dual_spectrograms", "the frame count by integer ceil, padding by concatenation, float64 dB", """
def dual_spectrograms(y, sr, n_fft=1024, hop_length=256, n_mels=80, multiple=8):
    n = 1 + len(y) // hop_length
    n_frames = -(-n // multiple) * multiple
    y = np.concatenate([y, np.zeros(max(0, (n_frames - 1) * hop_length - len(y)), dtype=y.dtype)])
    P = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length)).astype(np.float64) ** 2
    M = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels) @ P
    to_db = lambda X: np.maximum(10 * np.log10(np.maximum(X, 1e-10) / X.max()), -80.0).astype(np.float32)
    return to_db(M), to_db(P)
"""),
    # Part B: perceive
    wrong("perceive", "Sobel and Laplacian kernels not normalised", replace=[("/ 8.0", ""), ("/ 16.0", "")]),
    wrong("perceive", "circular padding", replace=[("filtered = F.conv2d(grid, weight, padding=1, groups=C)",
                                                    "filtered = F.conv2d(F.pad(grid, (1, 1, 1, 1), mode='circular'), weight, groups=C)")]),
    wrong("perceive", "channel-major order (channel c -> 4c .. 4c + 3)", replace=[
        ("filtered = filtered.reshape(B, C, 3, H, W).transpose(1, 2).reshape(B, 3 * C, H, W)\n    return torch.cat([grid, filtered], dim=1)",
         "return torch.cat([grid[:, :, None], filtered.reshape(B, C, 3, H, W)], dim=2).reshape(B, 4 * C, H, W)")]),
    wrong("perceive", "true convolution (kernels flipped)", replace=[("weight = kernels.repeat(C, 1, 1)[:, None]", "weight = kernels.flip(-1, -2).repeat(C, 1, 1)[:, None]")]),
    wrong("perceive", "K_y = K_x (the transpose forgotten)", replace=[("torch.stack([sobel_x, sobel_x.T, laplacian])", "torch.stack([sobel_x, sobel_x, laplacian])")]),
    wrong("perceive", "the 4-neighbour Laplacian [[0, 1, 0], [1, -4, 1], [0, 1, 0]]", replace=[
        ("laplacian = torch.tensor([[1.0, 2.0, 1.0], [2.0, -12.0, 2.0], [1.0, 2.0, 1.0]]) / 16.0",
         "laplacian = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])")]),
    right("perceive", "one conv2d per channel and kernel, in a loop", PERCEIVE_LOOP),
    # Part C: UpdateRule, living_mask, nca_step
    wrong("UpdateRule", "both layers zero-initialised", replace=[("nn.init.zeros_(self.net[-1].weight)", "nn.init.zeros_(self.net[-1].weight)\n        nn.init.zeros_(self.net[0].weight)")]),
    wrong("UpdateRule", "the last bias left at its random init", replace=[("        nn.init.zeros_(self.net[-1].bias)\n", "")]),
    wrong("UpdateRule", "3x3 convolutions (not per cell)", replace=[("kernel_size=1), nn.ReLU(),", "kernel_size=3, padding=1), nn.ReLU(),")]),
    wrong("UpdateRule", "no ReLU (an affine rule)", replace=[("nn.ReLU(),\n", "\n")]),
    right("UpdateRule", "per-cell nn.Linear layers on channels-last pixels", """
class UpdateRule(nn.Module):
    def __init__(self, n_channels=N_CHANNELS, n_hidden=64):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(4 * n_channels, n_hidden), nn.Linear(n_hidden, n_channels)
        nn.init.zeros_(self.fc2.weight)
        nn.init.zeros_(self.fc2.bias)

    def forward(self, perception):
        h = self.fc2(torch.relu(self.fc1(perception.permute(0, 2, 3, 1))))
        return h.permute(0, 3, 1, 2)
"""),
    wrong("living_mask", "alpha itself, no 3x3 max-pool", replace=[("return F.max_pool2d(alpha, kernel_size=3, stride=1, padding=1) > threshold", "return alpha > threshold")]),
    wrong("living_mask", ">= instead of >", replace=[("padding=1) > threshold", "padding=1) >= threshold")]),
    wrong("living_mask", "a float mask", replace=[("padding=1) > threshold", "padding=1).gt(threshold).float()")]),
    wrong("living_mask", "channel 0 (the level) read as alpha", replace=[("alpha = grid[:, ALPHA:ALPHA + 1]", "alpha = grid[:, 0:1]")]),
    right("living_mask", "the 3x3 maximum by unfold", """
def living_mask(grid, threshold=0.1):
    B, C, H, W = grid.shape
    alpha = F.pad(grid[:, ALPHA:ALPHA + 1], (1, 1, 1, 1), value=-float("inf"))
    return (F.unfold(alpha, 3).amax(dim=1) > threshold).reshape(B, 1, H, W)
"""),
    wrong("nca_step", "one random draw per channel (B, C, H, W)", replace=[("fire = torch.rand((B, 1, H, W), generator=generator) < fire_rate", "fire = torch.rand((B, C, H, W), generator=generator) < fire_rate")]),
    wrong("nca_step", "every channel clamped to [0, 1]", replace=[("grid = torch.cat([grid[:, :ALPHA], alpha, grid[:, ALPHA + 1:]], dim=1)", "grid = grid.clamp(0.0, 1.0)")]),
    wrong("nca_step", "the living mask only before the update", replace=[("alive = alive_before & living_mask(grid, threshold)", "alive = alive_before")]),
    wrong("nca_step", "the living mask only after the update", replace=[("alive = alive_before & living_mask(grid, threshold)", "alive = living_mask(grid, threshold)")]),
    wrong("nca_step", "the generator argument ignored (global RNG)", replace=[("torch.rand((B, 1, H, W), generator=generator)", "torch.rand((B, 1, H, W))")]),
    wrong("nca_step", "alpha clamped before the update", """
def nca_step(grid, rule, fire_rate=0.5, generator=None, threshold=0.1):
    B, C, H, W = grid.shape
    alive_before = living_mask(grid, threshold)
    fire = torch.rand((B, 1, H, W), generator=generator) < fire_rate
    grid = torch.cat([grid[:, :ALPHA], grid[:, ALPHA:ALPHA + 1].clamp(0, 1), grid[:, ALPHA + 1:]], dim=1)
    grid = grid + rule(perceive(grid)) * fire.to(grid.dtype)
    return grid * (alive_before & living_mask(grid, threshold)).to(grid.dtype)
"""),
    right("nca_step", "torch.where for the firing, the clamp by a channel mask", """
def nca_step(grid, rule, fire_rate=0.5, generator=None, threshold=0.1):
    B, C, H, W = grid.shape
    before = living_mask(grid, threshold)
    fire = (torch.rand((B, 1, H, W), generator=generator) < fire_rate).to(grid.device)
    new = torch.where(fire, grid + rule(perceive(grid)), grid)
    is_alpha = (torch.arange(C, device=grid.device) == ALPHA).view(1, C, 1, 1)
    new = torch.where(is_alpha, new.clamp(0.0, 1.0), new)
    return torch.where(before & living_mask(new, threshold), new, torch.zeros_like(new))
"""),
    # Part D: apply_living_masks
    wrong("apply_living_masks", "the buggy loop: the masked grid bound to the loop variable only", """
def apply_living_masks(grids, threshold=0.1):
    for grid in grids:
        grid = grid * living_mask(grid, threshold).to(grid.dtype)
    return grids
"""),
    wrong("apply_living_masks", "one mask (the first grid's) for every grid", """
def apply_living_masks(grids, threshold=0.1):
    mask = living_mask(grids[0], threshold).to(grids[0].dtype)
    return [grid * mask for grid in grids]
"""),
    wrong("apply_living_masks", "the threshold not passed on", replace=[("living_mask(grid, threshold)", "living_mask(grid)")]),
    wrong("apply_living_masks", "the grids masked in place (the caller's tensors change)", """
def apply_living_masks(grids, threshold=0.1):
    for grid in grids:
        grid.mul_(living_mask(grid, threshold).to(grid.dtype))
    return grids
"""),
    right("apply_living_masks", "an explicit loop that appends", """
def apply_living_masks(grids, threshold=0.1):
    out = []
    for grid in grids:
        out.append(torch.where(living_mask(grid, threshold), grid, torch.zeros_like(grid)))
    return out
"""),
    # Part E: gram_matrix, masked_l1_db
    wrong("gram_matrix", "not divided by the number of positions", replace=[("/ (H * W)", "")]),
    wrong("gram_matrix", "positions x positions (F^T F)", replace=[("flat @ flat.transpose(1, 2)", "flat.transpose(1, 2) @ flat")]),
    wrong("gram_matrix", "divided by K * H * W", replace=[("/ (H * W)", "/ (K * H * W)")]),
    wrong("gram_matrix", "the batch flattened into one matrix", """
def gram_matrix(features):
    B, K, H, W = features.shape
    flat = features.transpose(0, 1).reshape(K, B * H * W)
    return (flat @ flat.T / (B * H * W)).expand(B, K, K)
"""),
    right("gram_matrix", "einsum over the positions", """
def gram_matrix(features):
    return torch.einsum("bkhw,blhw->bkl", features, features) / (features.shape[2] * features.shape[3])
"""),
    wrong("masked_l1_db", "the mask taken from the prediction", replace=[("mask = target_db > threshold_db", "mask = pred_db > threshold_db")]),
    wrong("masked_l1_db", ">= instead of > (cells at exactly -70 dB counted)", replace=[("mask = target_db > threshold_db", "mask = target_db >= threshold_db")]),
    wrong("masked_l1_db", "masked errors averaged over all cells", """
def masked_l1_db(pred_db, target_db, threshold_db=-70.0):
    return ((pred_db - target_db).abs() * (target_db > threshold_db)).mean()
"""),
    wrong("masked_l1_db", "nan for a silent target (mean of nothing)", """
def masked_l1_db(pred_db, target_db, threshold_db=-70.0):
    return (pred_db - target_db).abs()[target_db > threshold_db].mean()
"""),
    wrong("masked_l1_db", "a Python float returned (no gradient)", replace=[("return (pred_db - target_db).abs()[mask].mean()", "return float((pred_db - target_db).abs()[mask].mean())")]),
    right("masked_l1_db", "torch.where and a count clamped at 1", """
def masked_l1_db(pred_db, target_db, threshold_db=-70.0):
    mask = target_db > threshold_db
    errors = torch.where(mask, (pred_db - target_db).abs(), torch.zeros_like(pred_db))
    return errors.sum() / mask.sum().clamp(min=1)
"""),
    # Part G: spectral_convergence
    wrong("spectral_convergence", "in dB (20 log10 of the ratio)", replace=[("return float(np.linalg.norm(S_ref - S_est) / np.linalg.norm(S_ref))",
                                                                            "return float(20 * np.log10(np.linalg.norm(S_ref - S_est) / np.linalg.norm(S_ref)))")]),
    wrong("spectral_convergence", "the squared ratio (energies)", replace=[("return float(np.linalg.norm(S_ref - S_est) / np.linalg.norm(S_ref))",
                                                                          "return float((np.linalg.norm(S_ref - S_est) / np.linalg.norm(S_ref)) ** 2)")]),
    wrong("spectral_convergence", "normalised by the estimate", replace=[("/ np.linalg.norm(S_ref))", "/ np.linalg.norm(S_est))")]),
    wrong("spectral_convergence", "mean absolute error over the mean magnitude", replace=[("return float(np.linalg.norm(S_ref - S_est) / np.linalg.norm(S_ref))",
                                                                                         "return float(np.abs(S_ref - S_est).mean() / np.abs(S_ref).mean())")]),
    right("spectral_convergence", "torch, square root of sums of squares", """
def spectral_convergence(S_ref, S_est):
    a, b = torch.as_tensor(np.asarray(S_ref), dtype=torch.float64), torch.as_tensor(np.asarray(S_est), dtype=torch.float64)
    return float(torch.sqrt(((a - b) ** 2).sum() / (a ** 2).sum()))
"""),
]
