"""PyG's GAT example on the shared datasets: the "PyG's GAT example" column of the README's accuracy table.

The model and training of PyG's examples/gat.py: two GATConv layers (8 heads x 8 channels, then one head averaged
over the classes), dropout 0.6 on each layer's input and on the attention coefficients, ELU, Adam with learning rate
0.005 and weight decay 5e-4, 200 epochs, full batch; the test accuracy reported is that of the epoch with the best
validation accuracy (the first such epoch). Features are row-normalised as the example's T.NormalizeFeatures() does,
unless --raw.

The graph is read as the engine's AccuracyBenchmark reads it (dev.neogat.datasets.TypedCsv.loadAny): a Planetoid
folder's edges in both directions; a typed folder (schema.txt, as acm/) untyped: node types one after another, their
feature columns side by side, every relation's edges in both directions and kept when two relations join the same
pair (the engine keeps such duplicates as separate softmax terms, as GATConv does). GATConv adds the self loops.

Usage: python pyg_accuracy.py [--shared DIR] [--seeds 10] [--first-seed 0] [--epochs 200] [--threads 1] [--raw]
                              cora citeseer acm
CPU only (torch.set_num_threads); the seeds are torch.manual_seed(seed).
"""
import argparse
import csv
import gzip
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch_geometric.nn import GATConv

SPLITS = {"train": 0, "val": 1, "test": 2}


class Gat(torch.nn.Module):
    def __init__(self, features, classes, hidden=8, heads=8, dropout=0.6):
        super().__init__()
        self.dropout = dropout
        self.conv1 = GATConv(features, hidden, heads=heads, dropout=dropout)
        self.conv2 = GATConv(hidden * heads, classes, heads=1, concat=False, dropout=dropout)

    def forward(self, x, edge_index):
        x = F.dropout(x, p=self.dropout, training=self.training)
        x = F.elu(self.conv1(x, edge_index))
        x = F.dropout(x, p=self.dropout, training=self.training)
        return self.conv2(x, edge_index)


def open_csv(path):
    return csv.DictReader(gzip.open(path, "rt") if path.suffix == ".gz" else open(path, newline=""))


def read_nodes(path):
    """(labels, splits, feature entries as (row, column, value)) of one node file."""
    labels, splits, entries = [], [], []
    for row in open_csv(path):
        i = int(row["id"])
        if i != len(labels):
            raise SystemExit(f"{path}: ids must be 0..N-1 in order, found {i} at row {len(labels)}")
        labels.append(int(row["label"]) if row["label"] not in ("", None) else -1)
        splits.append(SPLITS.get(row["split"], 3))
        for entry in (row["features"] or "").split():
            column, value = entry.split(":")
            entries.append((i, int(column), float(value)))
    return labels, splits, entries


def read_edges(path, source_offset, target_offset):
    sources, targets = [], []
    for row in open_csv(path):
        sources.append(source_offset + int(row["source"]))
        targets.append(target_offset + int(row["target"]))
    return sources, targets


def load(directory):
    labels, splits, entries, sources, targets = [], [], [], [], []
    schema = directory / "schema.txt"
    if schema.exists():
        types, relations, block = [], [], None
        for line in schema.read_text().splitlines():
            line = line.strip()
            if line in ("[nodes]", "[relations]"):
                block, header = line, True
                continue
            if not line or header:
                header = False
                continue
            (types if block == "[nodes]" else relations).append(line.split(","))
        node_offset, column_offset = {}, 0
        for name, count, feature_columns, _role, file in types:
            node_offset[name] = len(labels)
            type_labels, type_splits, type_entries = read_nodes(directory / file)
            if len(type_labels) != int(count):
                raise SystemExit(f"{directory / file} has {len(type_labels)} nodes; schema.txt says {count}")
            shift = node_offset[name]
            labels += type_labels
            splits += type_splits
            entries += [(shift + r, column_offset + c, v) for r, c, v in type_entries]
            column_offset += int(feature_columns)
        width = column_offset
        for source_type, _name, target_type, _count, file in relations:
            s, t = read_edges(directory / file, node_offset[source_type], node_offset[target_type])
            sources += s
            targets += t
    else:
        labels, splits, entries = read_nodes(directory / "nodes.csv.gz")
        sources, targets = read_edges(directory / "edges.csv.gz", 0, 0)
        width = max(c for _, c, _ in entries) + 1
    n = len(labels)
    x = torch.zeros(n, width)
    for r, c, v in entries:
        x[r, c] = v
    edges = torch.tensor([sources, targets], dtype=torch.long)
    edge_index = torch.cat([edges, edges.flip(0)], dim=1)
    y = torch.tensor(labels, dtype=torch.long)
    split = torch.tensor(splits)
    return x, edge_index, y, split


def run(x, edge_index, y, split, seed, epochs):
    torch.manual_seed(seed)
    classes = int(y.max()) + 1
    model = Gat(x.size(1), classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005, weight_decay=5e-4)
    masks = [split == s for s in range(3)]
    best_val, test, best_epoch = -1.0, 0.0, 0
    for epoch in range(1, epochs + 1):
        model.train()
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x, edge_index)[masks[0]], y[masks[0]])
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            predicted = model(x, edge_index).argmax(dim=1)
        accuracy = [float((predicted[m] == y[m]).float().mean()) for m in masks]
        if accuracy[1] > best_val:
            best_val, test, best_epoch = accuracy[1], accuracy[2], epoch
    return test, best_val, best_epoch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[4] / "shared"))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--raw", action="store_true", help="do not row-normalise the features")
    parser.add_argument("datasets", nargs="*", default=["cora", "citeseer"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    import torch_geometric
    print(f"torch {torch.__version__}, torch_geometric {torch_geometric.__version__}, CPU, {args.threads} thread(s), "
          f"features {'as stored' if args.raw else 'row-normalised'}", flush=True)
    for name in args.datasets:
        x, edge_index, y, split = load(Path(args.shared) / "datasets" / name)
        if not args.raw:
            x = x / x.sum(dim=1, keepdim=True).clamp(min=1)
        print(f"{name}: {x.size(0)} nodes, {x.size(1)} features, {edge_index.size(1)} directed edges, "
              f"train/val/test {[int((split == s).sum()) for s in range(3)]}", flush=True)
        tests = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            start = time.perf_counter()
            test, val, epoch = run(x, edge_index, y, split, seed, args.epochs)
            tests.append(100 * test)
            print(f"{name} seed {seed}: test {100 * test:.2f}% at the best validation accuracy {100 * val:.2f}% "
                  f"(epoch {epoch}), {time.perf_counter() - start:.1f} s", flush=True)
        spread = statistics.stdev(tests) if len(tests) > 1 else 0.0
        print(f"{name}: test {statistics.mean(tests):.2f} ± {spread:.2f} % over {len(tests)} seeds "
              f"({', '.join(f'{t:.2f}' for t in tests)})", flush=True)


if __name__ == "__main__":
    main()
