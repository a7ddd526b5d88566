namespace DeepVision.Training;

/// <summary><see cref="TrainingOptions.EpochScheduler"/>: the learning-rate schedule steps after each epoch's training.</summary>
internal sealed class EpochSchedule(optim.lr_scheduler.LRScheduler scheduler) : TrainingPlugin
{
    public override void AfterTraining(FitState fit) => scheduler.step();
}
