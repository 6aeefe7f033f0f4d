using ImageBuild.Engine.Operations;

namespace ImageBuild.Engine.Tests.Operations;

[TestClass]
public class HandoffQueueTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [TestMethod]
    public void ItemsComeOutInOrderUntilTheQueueIsCompleteAndEmpty()
    {
        var q = new HandoffQueue<int>();
        for (int i = 0; i < 5; i++) q.Add(i);
        q.CompleteAdding();
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3, 4 }, q.GetConsumingEnumerable().ToArray());
        Assert.ThrowsExactly<InvalidOperationException>(() => q.Take());
        Assert.ThrowsExactly<InvalidOperationException>(() => q.Add(5));
    }

    [TestMethod]
    public void AddWaitsForRoomInABoundedQueue()
    {
        var q = new HandoffQueue<int>(2);
        q.Add(1);
        q.Add(2);
        var third = Task.Run(() => q.Add(3));
        Assert.IsFalse(third.Wait(200), "a full queue takes no third item");
        Assert.AreEqual(1, q.Take());
        Assert.IsTrue(third.Wait(Long), "a take makes room");
        Assert.AreEqual(2, q.Take());
        Assert.AreEqual(3, q.Take());
    }

    [TestMethod]
    public void TakeWaitsForAnItemAndEndsWithTheQueue()
    {
        var q = new HandoffQueue<string>();
        var taker = Task.Run(() => q.GetConsumingEnumerable().ToList());
        q.Add("a");
        q.Add("b");
        q.CompleteAdding();
        Assert.IsTrue(taker.Wait(Long));
        CollectionAssert.AreEqual(new[] { "a", "b" }, taker.Result);
    }

    [TestMethod]
    public void CancellationWakesAWaitingTakerAndAWaitingAdder()
    {
        var empty = new HandoffQueue<int>();
        var full = new HandoffQueue<int>(1);
        full.Add(0);
        using var cancel = new CancellationTokenSource();
        var taker = Task.Run(() => empty.Take(cancel.Token));
        var adder = Task.Run(() => full.Add(1, cancel.Token));
        Assert.IsFalse(Task.WaitAny([taker, adder], 200) >= 0, "both wait");
        cancel.Cancel();
        var e1 = Assert.ThrowsExactly<AggregateException>(() => taker.Wait(Long));
        Assert.IsInstanceOfType<OperationCanceledException>(e1.InnerException);
        var e2 = Assert.ThrowsExactly<AggregateException>(() => adder.Wait(Long));
        Assert.IsInstanceOfType<OperationCanceledException>(e2.InnerException);
        Assert.AreEqual(0, full.Take(), "the cancelled add added nothing");
    }
}
