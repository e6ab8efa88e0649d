//! The `thread` builtin's tests: shared objects all freed whichever
//! thread dropped them last, the biased counter's queue-and-merge handoff,
//! what may not cross, and exceptions coming back at `join()`.

use std::sync::Arc;

use objmodel::types::ft::refs::merge_refcounts;

use crate::objects::{self, Function};
use crate::shared::{Ledger, Packer};
use crate::threads::{shared_objects, thread_leaks};
use crate::{on_vm_thread, out, run_program, Options};

fn run(src: &str) -> (String, crate::Outcome, (isize, usize), usize) {
    let src = src.to_string();
    on_vm_thread(move || {
        out::capture();
        // Counting on (here and, inherited, in every thread it starts), so
        // the leak lists are real.
        let opts = Options {
            count: true,
            ..Options::default()
        };
        let outcome = run_program("<test>", &src, opts);
        (out::take(), outcome, shared_objects(), thread_leaks().len())
    })
}

/// Every shared object a threaded program made is freed by the end,
/// whichever thread dropped its last reference, and every thread's
/// interpreter tore down with no live mortal object.
#[test]
fn threads_free_every_shared_object_and_leak_nothing() {
    let src = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/minipy/programs/threads.py"),
    )
    .expect("the threads program");
    let (_, outcome, (live, created), leaks) = run(&src);
    assert_eq!(outcome.exit, 0, "{:?}", outcome.error);
    assert!(created > 50, "only {created} shared objects were made");
    assert_eq!(live, 0, "shared objects still alive");
    assert_eq!(leaks, 0, "a thread left live objects");
    assert!(outcome.leaks.is_empty(), "{:?}", outcome.leaks);
    assert!(
        outcome.destroyed > 100,
        "the tracer saw {} deallocations",
        outcome.destroyed
    );
}

/// BRC-style handoff: a shared object whose last reference another
/// thread dropped stays alive, queued to its owner, until the owner
/// merges its queue (`_Py_brc_merge_refcounts`); then it is freed.
#[test]
fn a_non_owner_drop_is_merged_by_the_owner() {
    on_vm_thread(|| {
        crate::session::start(Options::default());
        let ledger = Arc::new(Ledger::default());
        let list = objects::list(vec![objects::int(1000), objects::str_obj("x")]);
        let none = |_: &Function| None;
        let Ok(shared) = Packer::new(&ledger, &none).pack(&list) else {
            panic!("a list of an int and a str packs")
        };
        drop(list);
        assert_eq!(ledger.live(), 3);
        std::thread::spawn(move || drop(shared))
            .join()
            .expect("the dropping thread");
        // Counted on ob_ref_shared and queued: not freed yet.
        assert_eq!(ledger.live(), 3);
        assert_eq!(merge_refcounts(), 1);
        assert_eq!(ledger.live(), 0);
        crate::session::finish(
            crate::session::new_globals(),
            Options::default(),
            crate::session::Outcome::default(),
        );
    });
}

/// What cannot cross threads is refused with its type and address;
/// a container that contains itself is refused too.
#[test]
fn unshareable_arguments_raise_with_their_type() {
    let (_, o, ..) = run(
        "class Box:\n    def __del__(self):\n        pass\ndef f(x):\n    return x\n\
         thread(f, Box()).join()\n",
    );
    let e = o.error.expect("an error");
    assert!(
        e.contains("TypeError: cannot pass a 'Box' object (at 0x"),
        "{e}"
    );
    assert!(e.contains("defines __del__"), "{e}");
    let (_, o, ..) = run("def f(x):\n    return x\nthread(f, iter([1]))\n");
    let e = o.error.expect("an error");
    assert!(
        e.contains("TypeError: cannot pass a 'iterator' object (at 0x"),
        "{e}"
    );
    let (_, o, ..) = run("def f(x):\n    return x\nl = [1]\nl.append(l)\nthread(f, l)\n");
    let e = o.error.expect("an error");
    assert!(
        e.contains("ValueError: cannot pass a list that contains itself"),
        "{e}"
    );
    let (_, o, ..) = run("thread(len, [1])\n");
    let e = o.error.expect("an error");
    assert!(e.contains("TypeError: thread() needs a function"), "{e}");
}

/// An exception a thread raises comes back at join as the same
/// class (a user class by its name in the module), with its args; one
/// that cannot cross becomes a RuntimeError quoting it.
#[test]
fn exceptions_come_back_at_join() {
    let src = "class Oops(Exception):\n    pass\ndef f():\n    raise Oops('no', 2)\n\
               try:\n    thread(f).join()\nexcept Oops as e:\n    print('Oops', e)\n\
               def g():\n    return {}['k']\n\
               try:\n    thread(g).join()\nexcept KeyError as e:\n    print('KeyError', e)\n\
               class Bad(Exception):\n    def __del__(self):\n        pass\n\
               def h():\n    raise Bad('x')\n\
               try:\n    thread(h).join()\nexcept RuntimeError as e:\n    print(e)\n";
    let (stdout, o, ..) = run(src);
    assert_eq!(o.exit, 0, "{:?}", o.error);
    assert_eq!(
        stdout,
        "Oops ('no', 2)\nKeyError 'k'\nthread raised Bad: x\n"
    );
}
