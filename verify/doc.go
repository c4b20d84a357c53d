// Package verify measures a compressed model's accuracy against its source
// model and decides whether it may ship.
//
// Evaluate runs a candidate model, and optionally a reference, over labelled
// batches and returns a Report: top-1 and top-5 accuracy, the drop from the
// reference, the agreement rate (same top-1), per-class accuracy, the
// confusion matrix and the logit differences. Gate applies --max-drop and
// --min-accuracy. The Report's JSON form is versioned (SchemaVersion) and
// documented in docs/report-schema.md.
//
// # Conventions
//
// Accuracies are fractions in [0,1]. A drop is reference accuracy minus
// candidate accuracy, so a positive drop is a loss. Models are plain
// functions from a batch to logits, so this package needs no executor.
package verify
