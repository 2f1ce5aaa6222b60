import FileOutput
import Threads

/// An fsync of a file on a second thread, so that reading the file back need not wait for the
/// disk. Without a second thread it fsyncs at once.
final class BackgroundSync: @unchecked Sendable {
    /// Touched by the second thread only until `wait()` returns.
    private let file: AtomicFile
    private var thread: WorkerThread?
    private var failure: AtomicFile.WriteError?
    private var waited = false

    init(_ file: AtomicFile) {
        self.file = file
        thread = WorkerThread(stackSize: 64 << 10) { [self] in run() }
        if thread == nil { run() }
    }

    private func run() {
        do { try file.sync() } catch { failure = error as? AtomicFile.WriteError }
    }

    /// Waits for the fsync; its failure, if any (reported once).
    @discardableResult
    func wait() -> AtomicFile.WriteError? {
        thread?.join()
        thread = nil
        defer { waited = true }
        return waited ? nil : failure
    }
}
