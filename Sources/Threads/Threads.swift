#if canImport(Glibc)
    import Glibc
#endif

/// A pthread mutex. Unchecked `Sendable`: it exists to be shared between threads.
public final class Lock: @unchecked Sendable {
    fileprivate let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init() { pthread_mutex_init(mutex, nil) }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }
}

/// A condition variable with its own lock: `wait()` is called with the lock held, releases it
/// while waiting and holds it again when it returns.
public final class Condition: @unchecked Sendable {
    private let lockedBy = Lock()
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() { pthread_cond_init(condition, nil) }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    public func lock() { lockedBy.lock() }
    public func unlock() { lockedBy.unlock() }
    public func wait() { pthread_cond_wait(condition, lockedBy.mutex) }
    public func broadcast() { pthread_cond_broadcast(condition) }
}

/// A thread running one closure, with a stack of the size asked for; nil when the system
/// cannot start another thread.
public struct WorkerThread {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    private let thread: pthread_t

    public init?(stackSize: Int, _ run: @escaping @Sendable () -> Void) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        let context = Unmanaged.passRetained(Body(run)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(
            &thread, &attributes,
            { context in
                Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            }, context)
        guard started == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        self.thread = thread
    }

    /// Waits for the closure to return.
    public func join() { pthread_join(thread, nil) }
}
