"""PyG's side of the GPU benchmark: the models of dev.neogat.gpu.GpuBenchmark, on the same GPU.

cora        Cora (shared/datasets/cora), PyG's GAT example: 2 layers, 8 heads x 8, dropout 0.6, Adam lr 0.005,
            weight decay 5e-4; median training epoch (forward + backward + Adam) and inference.
arxiv       an ogbn-arxiv-sized random graph: 169,343 nodes, 1,166,243 random edges plus their reverses,
            128 N(0,1) features, 40 classes, the same 2-layer model with 8 heads x 8.
arxiv-wide  the same graph, 3 heads x 250.

Peak memory is torch.cuda.max_memory_allocated() during the measured epochs.
Usage: python pyg_benchmark.py [--shared DIR] cora arxiv arxiv-wide
"""
import argparse
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from pyg_accuracy import Gat, load


def load_cora(directory):
    x, edge_index, y, split = load(directory)
    x = x / x.sum(dim=1, keepdim=True).clamp(min=1)
    return x, edge_index, y.clamp(min=0), split == 0, int(y.max()) + 1


def random_graph(nodes=169_343, edges=1_166_243, features=128, classes=40, seed=1):
    generator = torch.Generator().manual_seed(seed)
    source = torch.randint(nodes, (edges,), generator=generator)
    target = torch.randint(nodes - 1, (edges,), generator=generator)
    target = target + (target >= source).long()
    edge_index = torch.cat([torch.stack([source, target]), torch.stack([target, source])], dim=1)
    x = torch.randn(nodes, features, generator=generator)
    y = torch.randint(classes, (nodes,), generator=generator)
    train = torch.zeros(nodes, dtype=torch.bool)
    train[: nodes // 2] = True
    return x, edge_index, y, train, classes


def measure(name, data, hidden, heads, warmup, measured):
    device = torch.device("cuda")
    x, edge_index, y, train, classes = (t.to(device) if torch.is_tensor(t) else t for t in data)
    torch.manual_seed(1)
    model = Gat(x.size(1), classes, hidden, heads).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005, weight_decay=5e-4)
    steps, inference = [], []
    torch.cuda.reset_peak_memory_stats()
    for epoch in range(warmup + measured):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        model.train()
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x, edge_index)[train], y[train])
        loss.backward()
        optimizer.step()
        torch.cuda.synchronize()
        t1 = time.perf_counter()
        model.eval()
        with torch.no_grad():
            model(x, edge_index).cpu()
        t2 = time.perf_counter()
        if epoch >= warmup:
            steps.append((t1 - t0) * 1e3)
            inference.append((t2 - t1) * 1e3)
    peak = torch.cuda.max_memory_allocated() / 2**30
    print(f"{name} (PyG {heads} heads x {hidden}): training epoch median {statistics.median(steps):.3f} ms, "
          f"inference median {statistics.median(inference):.3f} ms, peak memory {peak:.2f} GiB", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[4] / "shared"))
    parser.add_argument("benchmarks", nargs="*", default=["cora", "arxiv", "arxiv-wide"])
    args = parser.parse_args()
    import torch_geometric
    print(f"torch {torch.__version__}, torch_geometric {torch_geometric.__version__}, "
          f"{torch.cuda.get_device_name(0)}", flush=True)
    for benchmark in args.benchmarks:
        if benchmark == "cora":
            measure("cora", load_cora(Path(args.shared) / "datasets" / "cora"), 8, 8, 50, 200)
        elif benchmark == "arxiv":
            measure("arxiv-sized", random_graph(), 8, 8, 5, 20)
        elif benchmark == "arxiv-wide":
            measure("arxiv-sized", random_graph(), 250, 3, 3, 10)
        else:
            raise SystemExit(f"unknown benchmark {benchmark}; expected cora, arxiv or arxiv-wide")


if __name__ == "__main__":
    main()
