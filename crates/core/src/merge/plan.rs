//! The order in which a merge walk replays the runs of a region.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Range;

use crate::causal_graph::{CausalGraph, Lv};

/// Runs of operations in walk order, each with the parents of its first operation.
pub(super) struct WalkPlan {
    /// Each run and where its parents are in `parents`.
    runs: Vec<(Range<Lv>, Range<usize>)>,
    parents: Vec<Lv>,
}

impl WalkPlan {
    /// The runs of `ranges` (ascending, together a set of operations closed under "parents
    /// within the set come first") in a topological order that stays on one branch as long as it
    /// can: after a run, a ready run whose only parent is its last operation goes next, then a
    /// ready merge that includes it, and otherwise the earliest ready run. Switching branches
    /// makes the tracker retreat one branch and advance another, so the order decides how much
    /// work the walk does on histories with long-lived branches.
    pub(super) fn new(graph: &CausalGraph, ranges: &[Range<Lv>]) -> Self {
        let mut runs = Vec::new();
        let mut all_parents = Vec::new();
        let mut scratch = Vec::new();
        let mut hint = usize::MAX;
        for r in ranges {
            for g in graph.runs_in(r.clone()) {
                graph.parents_into_near(g.start, &mut hint, &mut scratch);
                let at = all_parents.len();
                all_parents.extend_from_slice(&scratch);
                runs.push((g, at..all_parents.len()));
            }
        }
        let mut plan = WalkPlan {
            runs,
            parents: all_parents,
        };
        if plan.runs.len() > 1 {
            let order = plan.order();
            let mut slots: Vec<Option<(Range<Lv>, Range<usize>)>> =
                plan.runs.drain(..).map(Some).collect();
            plan.runs = order.into_iter().filter_map(|i| slots[i].take()).collect();
        }
        plan
    }

    /// The runs in walk order, each with the parents of its first operation.
    pub(super) fn iter(&self) -> impl Iterator<Item = (Range<Lv>, &[Lv])> + '_ {
        self.runs
            .iter()
            .map(|(r, p)| (r.clone(), &self.parents[p.clone()]))
    }

    /// Indexes of `self.runs` (ascending) in walk order.
    fn order(&self) -> Vec<usize> {
        let runs = &self.runs;
        let n = runs.len();
        let parents_of = |i: usize| &self.parents[runs[i].1.clone()];
        // The run in the set containing `lv`, which comes before run `before`. Parents are mostly
        // in the run just before, so look there first.
        let run_of = |lv: Lv, before: usize| -> Option<usize> {
            if let Some(j) = before.checked_sub(1) {
                if runs[j].0.contains(&lv) {
                    return Some(j);
                }
            }
            let i = runs[..before].partition_point(|(r, _)| r.end <= lv);
            runs.get(i).filter(|(r, _)| r.start <= lv).map(|_| i)
        };
        // Dependencies on other runs in the set (run `i`'s are `dep_list[dep_at[i]..dep_at[i +
        // 1]]`), and the reverse edges laid out the same way, children in ascending order.
        let mut waiting = vec![0usize; n];
        let mut dep_list: Vec<usize> = Vec::with_capacity(n + n / 2);
        let mut dep_at = Vec::with_capacity(n + 1);
        dep_at.push(0);
        let mut child_at = vec![0usize; n + 1];
        for (i, w) in waiting.iter_mut().enumerate() {
            let from = dep_list.len();
            dep_list.extend(parents_of(i).iter().filter_map(|p| run_of(*p, i)));
            dep_list[from..].sort_unstable();
            let mut k = from;
            for j in from..dep_list.len() {
                if j == from || dep_list[j] != dep_list[k - 1] {
                    dep_list[k] = dep_list[j];
                    k += 1;
                }
            }
            dep_list.truncate(k);
            *w = k - from;
            for d in &dep_list[from..] {
                child_at[*d + 1] += 1;
            }
            dep_at.push(dep_list.len());
        }
        for i in 0..n {
            child_at[i + 1] += child_at[i];
        }
        let mut child_list = vec![0usize; dep_list.len()];
        let mut fill = child_at.clone();
        for i in 0..n {
            for d in &dep_list[dep_at[i]..dep_at[i + 1]] {
                child_list[fill[*d]] = i;
                fill[*d] += 1;
            }
        }
        let children = |i: usize| &child_list[child_at[i]..child_at[i + 1]];

        // Ready runs: a flag per run plus a min-heap of candidates (entries of runs already
        // walked are skipped when they surface).
        let mut is_ready: Vec<bool> = waiting.iter().map(|w| *w == 0).collect();
        let mut heap: BinaryHeap<Reverse<usize>> =
            (0..n).filter(|i| is_ready[*i]).map(Reverse).collect();
        let mut order = Vec::with_capacity(n);
        let mut last: Option<usize> = None;
        loop {
            let next = last
                .and_then(|l| {
                    let end = runs[l].0.end - 1;
                    let ready_children = || children(l).iter().copied().filter(|c| is_ready[*c]);
                    ready_children()
                        .find(|c| parents_of(*c) == [end])
                        .or_else(|| ready_children().find(|c| parents_of(*c).contains(&end)))
                })
                .or_else(|| loop {
                    let Reverse(i) = heap.pop()?;
                    if is_ready[i] {
                        break Some(i);
                    }
                });
            let Some(i) = next else { break };
            is_ready[i] = false;
            for &c in children(i) {
                waiting[c] -= 1;
                if waiting[c] == 0 {
                    is_ready[c] = true;
                    heap.push(Reverse(c));
                }
            }
            order.push(i);
            last = Some(i);
        }
        debug_assert_eq!(order.len(), n, "walk order covers every run");
        order
    }
}
