//! `workloads/stress-test`: rust-cc's stress test. A random directed
//! graph (labelled nodes, random edges, self-loops and cycles included) is
//! built, then de-rooted from the end of its node list a few nodes at a
//! time, with a collection after each cut where there is a collector. It
//! times the collector on a large, irregular, mostly cyclic heap. `Rc` and
//! `Arc` own the nodes from the list alone and make every edge `Weak`.

use std::cell::RefCell;
use std::mem::size_of;
use std::ptr::addr_of_mut;

use objmodel::cpython::*;
use objmodel::Py_VISIT;

use crate::support::objects::alloc;

/// The stress test's random numbers: xorshift64, seeded as the suite seeds
/// its generator (0xCAFE), so every contender sees the same graph.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

const SEED: u64 = 0xCAFE;

pub mod om {
    //! objmodel: the C-API with the cycle collector, on a tracked
    //! [`GraphNode`] type with a growing edge list.
    use std::ffi::{c_int, c_void};

    use super::*;

    /// The stress test's graph node: a label and a growing edge list.
    #[repr(C)]
    struct GraphNode {
        ob_base: PyObject,
        label: String,
        edges: Vec<*mut PyObject>,
    }

    unsafe extern "C" fn graph_traverse(
        op: *mut PyObject,
        visit: visitproc,
        arg: *mut c_void,
    ) -> c_int {
        unsafe {
            for &e in &(*op.cast::<GraphNode>()).edges {
                Py_VISIT!(e, visit, arg);
            }
        }
        0
    }

    unsafe extern "C" fn graph_clear(op: *mut PyObject) -> c_int {
        let edges = unsafe { std::mem::take(&mut (*op.cast::<GraphNode>()).edges) };
        for e in edges {
            unsafe { Py_DECREF(e) };
        }
        0
    }

    unsafe extern "C" fn graph_dealloc(op: *mut PyObject) {
        unsafe {
            PyObject_GC_UnTrack(op.cast());
            graph_clear(op);
            std::ptr::drop_in_place(addr_of_mut!((*op.cast::<GraphNode>()).label));
            std::ptr::drop_in_place(addr_of_mut!((*op.cast::<GraphNode>()).edges));
            PyObject_GC_Del(op.cast());
        }
    }

    static GRAPH_NODE: PyTypeObject = PyTypeObject {
        tp_name: "GraphNode",
        tp_basicsize: size_of::<GraphNode>() as Py_ssize_t,
        tp_flags: Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
        tp_dealloc: Some(graph_dealloc),
        tp_traverse: Some(graph_traverse),
        tp_clear: Some(graph_clear),
        ..PyTypeObject::DEFAULT
    };

    pub fn run(nodes_n: usize, edges_n: usize, shrink: usize) -> usize {
        let mut rng = XorShift(SEED);
        let mut nodes: Vec<*mut PyObject> = (0..=nodes_n)
            .map(|i| {
                let op = alloc(&GRAPH_NODE);
                unsafe {
                    let g = op.cast::<GraphNode>();
                    addr_of_mut!((*g).label).write(format!("Node {i}"));
                    addr_of_mut!((*g).edges).write(Vec::new());
                }
                op
            })
            .collect();
        for _ in 0..=edges_n {
            let a = nodes[rng.below(nodes.len())];
            let b = nodes[rng.below(nodes.len())];
            unsafe { (*a.cast::<GraphNode>()).edges.push(Py_NewRef(b)) };
        }
        let mut total = 0;
        for i in 0..nodes_n {
            if i % shrink == 0 {
                for op in nodes.drain(nodes_n - i..) {
                    unsafe { Py_DECREF(op) };
                }
                gc::collect(2);
                total += nodes.len();
            }
        }
        for op in nodes.drain(..) {
            unsafe { Py_DECREF(op) };
        }
        gc::collect(2);
        total
    }
}

// The workload on `Rc` or `Arc`: the graph owned by its node list, every
// edge `Weak`.
rc_and_arc! {
    use super::{RefCell, XorShift, SEED};


    struct GraphNode {
        _label: String,
        edges: Vec<Weak<RefCell<GraphNode>>>,
    }

    pub fn run(nodes_n: usize, edges_n: usize, shrink: usize) -> usize {
        let mut rng = XorShift(SEED);
        let mut nodes: Vec<Ptr<RefCell<GraphNode>>> = (0..=nodes_n)
            .map(|i| {
                Ptr::new(RefCell::new(GraphNode {
                    _label: format!("Node {i}"),
                    edges: Vec::new(),
                }))
            })
            .collect();
        for _ in 0..=edges_n {
            let a = rng.below(nodes.len());
            let b = rng.below(nodes.len());
            let weak = Ptr::downgrade(&nodes[b]);
            nodes[a].borrow_mut().edges.push(weak);
        }
        let mut total = 0;
        for i in 0..nodes_n {
            if i % shrink == 0 {
                nodes.truncate(nodes_n - i);
                total += nodes.len();
            }
        }
        total
    }
}

pub mod cc {
    //! rust-cc, as its own suite writes the workload: every edge a strong
    //! `Cc`, found by its collector.
    use rust_cc::{collect_cycles, Cc, Context, Finalize, Trace};

    use super::{RefCell, XorShift, SEED};

    struct GraphNode {
        _label: String,
        edges: Vec<Cc<RefCell<GraphNode>>>,
    }

    // SAFETY: `trace` visits every `Cc` the value owns, and nothing else.
    unsafe impl Trace for GraphNode {
        fn trace(&self, ctx: &mut Context<'_>) {
            self.edges.iter().for_each(|e| e.trace(ctx));
        }
    }
    impl Finalize for GraphNode {}

    pub fn run(nodes_n: usize, edges_n: usize, shrink: usize) -> usize {
        let mut rng = XorShift(SEED);
        let mut total = 0;
        {
            let mut nodes: Vec<Cc<RefCell<GraphNode>>> = (0..=nodes_n)
                .map(|i| {
                    Cc::new(RefCell::new(GraphNode {
                        _label: format!("Node {i}"),
                        edges: Vec::new(),
                    }))
                })
                .collect();
            for _ in 0..=edges_n {
                let a = rng.below(nodes.len());
                let b = rng.below(nodes.len());
                let edge = nodes[b].clone();
                nodes[a].borrow_mut().edges.push(edge);
            }
            for i in 0..nodes_n {
                if i % shrink == 0 {
                    nodes.truncate(nodes_n - i);
                    collect_cycles();
                    total += nodes.len();
                }
            }
        }
        collect_cycles();
        total
    }
}
