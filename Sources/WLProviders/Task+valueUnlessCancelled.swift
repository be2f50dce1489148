import WLServices

extension Task where Failure == any Error {
    /// The task's value, or `CancellationError` as soon as the task waiting for it is cancelled; the task itself runs
    /// on (others may be waiting for it too). `task.value` alone waits for the end whatever happens to the waiter.
    func valueUnlessCancelled() async throws -> Success {
        let waiter = OnceContinuation<Success>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiter.set(continuation)
                Task<Void, Never> { waiter.resume(with: await self.result) }
            }
        } onCancel: {
            waiter.resume(with: .failure(Swift.CancellationError()))
        }
    }
}
