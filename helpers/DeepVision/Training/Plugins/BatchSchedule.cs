namespace DeepVision.Training;

/// <summary><see cref="TrainingOptions.BatchScheduler"/>: the learning-rate schedule steps after every batch.</summary>
internal sealed class BatchSchedule(optim.lr_scheduler.LRScheduler scheduler) : TrainingPlugin
{
    public override void AfterBatch(FitState fit) => scheduler.step();
}
