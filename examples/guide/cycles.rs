//! Chapter 6: cycles and the collector, step by step on three objects.
//!
//! The collector keeps `gc_refs` to itself, so this example recomputes
//! each phase from the outside, with the same arithmetic, by walking
//! `tp_traverse` (`gc.get_referents`), and then lets the collector run.

use std::cell::RefCell;
use std::io::{self, Write};

use objmodel::cpython::{gc, PyObject, PyObject_GC_Track, Py_REFCNT};
use objmodel::cycles::traverse::{gc_type, Clear, Traverse, VisitResult, Visitor};
use objmodel::{Ref, RustType};

struct Node {
    name: &'static str,
    edges: RefCell<Vec<Ref<Node>>>,
}

impl Traverse for Node {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        self.edges.traverse(visitor)
    }
}

impl Clear for Node {
    fn clear(&self) {
        self.edges.clear()
    }
}

thread_local! {
    static FREED: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
}

impl Drop for Node {
    fn drop(&mut self) {
        FREED.with(|f| f.borrow_mut().push(self.name));
    }
}

static NODE: RustType<Node> = gc_type("Node");

fn node(name: &'static str) -> Ref<Node> {
    let r = Ref::new(
        &NODE,
        Node {
            name,
            edges: RefCell::default(),
        },
    );
    // SAFETY: a fresh, untracked instance of a GC type, owned by this thread.
    unsafe { PyObject_GC_Track(Ref::as_ptr(&r).cast()) };
    r
}

fn link(from: &Ref<Node>, to: &Ref<Node>) {
    from.edges.borrow_mut().push(to.clone());
}

/// The generation being collected, in list order, with the names.
struct Generation {
    objects: Vec<(*mut PyObject, &'static str)>,
}

impl Generation {
    fn index(&self, op: *mut PyObject) -> Option<usize> {
        self.objects.iter().position(|&(p, _)| p == op)
    }

    fn show(&self, out: &mut impl Write, phase: &str, gc_refs: &[isize]) -> io::Result<()> {
        write!(out, "  {phase:<16}")?;
        for (&(_, name), refs) in self.objects.iter().zip(gc_refs) {
            write!(out, " {name}={refs}")?;
        }
        writeln!(out)
    }

    /// Phases 1 to 3 of a collection, printed.
    ///
    /// # Safety
    /// - Every object in the generation is live and tracked.
    unsafe fn explain(&self, out: &mut impl Write) -> io::Result<Vec<&'static str>> {
        // 1. update_refs: gc_refs := the count.
        // SAFETY: first bullet.
        let mut gc_refs: Vec<isize> = self
            .objects
            .iter()
            .map(|&(p, _)| unsafe { Py_REFCNT(p) })
            .collect();
        self.show(out, "update_refs", &gc_refs)?;

        // 2. subtract_refs: take one for each reference from inside.
        for &(p, _) in &self.objects {
            // SAFETY: first bullet.
            for child in unsafe { gc::get_referents(p) } {
                if let Some(i) = self.index(child) {
                    gc_refs[i] -= 1;
                }
            }
        }
        self.show(out, "subtract_refs", &gc_refs)?;

        // 3. move_unreachable: walk the list; 0 is set aside provisionally.
        let mut young: Vec<usize> = (0..self.objects.len()).collect();
        let mut unreachable: Vec<usize> = Vec::new();
        let mut next = 0;
        while next < young.len() {
            let i = young[next];
            next += 1;
            let name = self.objects[i].1;
            if gc_refs[i] == 0 {
                writeln!(out, "    {name}: gc_refs 0, set aside as maybe unreachable")?;
                unreachable.push(i);
                continue;
            }
            writeln!(
                out,
                "    {name}: gc_refs {}, reachable; traverse it",
                gc_refs[i]
            )?;
            // SAFETY: first bullet.
            for child in unsafe { gc::get_referents(self.objects[i].0) } {
                let Some(c) = self.index(child) else { continue };
                if let Some(pos) = unreachable.iter().position(|&u| u == c) {
                    unreachable.remove(pos);
                    gc_refs[c] = 1;
                    young.push(c);
                    writeln!(
                        out,
                        "      {} comes back from the unreachable list, gc_refs 1",
                        self.objects[c].1
                    )?;
                } else if gc_refs[c] == 0 {
                    gc_refs[c] = 1;
                }
            }
        }
        self.show(out, "move_unreachable", &gc_refs)?;
        let names: Vec<_> = unreachable.iter().map(|&i| self.objects[i].1).collect();
        writeln!(out, "  unreachable: {names:?}")?;
        Ok(names)
    }
}

fn scenario(out: &mut impl Write, title: &str, last_edge_reversed: bool) -> io::Result<()> {
    writeln!(out, "{title}")?;
    let (a, b, c) = (node("A"), node("B"), node("C"));
    link(&a, &b);
    link(&b, &a);
    if last_edge_reversed {
        link(&c, &a);
    } else {
        link(&a, &c);
    }
    let generation = Generation {
        objects: vec![
            (Ref::as_ptr(&a), "A"),
            (Ref::as_ptr(&b), "B"),
            (Ref::as_ptr(&c), "C"),
        ],
    };
    drop((a, b)); // only the variable `c` is left
                  // SAFETY: A and B are kept alive by their cycle, C by `c`; all tracked.
    let predicted = unsafe { generation.explain(out)? };
    let collected = gc::collect(2);
    let mut freed = FREED.with(|f| f.take());
    freed.sort();
    writeln!(out, "  gc.collect(2) -> {collected}, freed {freed:?}")?;
    writeln!(out, "  the prediction holds: {}", {
        let mut p = predicted;
        p.sort();
        p == freed
    })?;
    writeln!(out, "  C survives with count {}", c.refcnt())?;
    drop(c);
    let collected = gc::collect(2);
    let mut freed = FREED.with(|f| f.take());
    freed.sort();
    writeln!(
        out,
        "  del c; gc.collect(2) -> {collected}, freed {freed:?}\n"
    )?;
    Ok(())
}

/// The chapter's worked example and its variant with the last edge reversed.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    gc::disable(); // this example decides when collections run
    scenario(out, "A <-> B, A -> C, a variable holds C:", false)?;
    scenario(out, "A <-> B, C -> A, a variable holds C:", true)?;
    gc::enable();
    Ok(())
}
