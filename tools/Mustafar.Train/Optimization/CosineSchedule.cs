namespace Mustafar.Train.Optimization;

/// <summary>Linear warm-up from 0 to the peak learning rate over <c>warmup</c> steps, then a cosine decay to 0 at
/// <c>total</c> steps (transformers' get_cosine_schedule_with_warmup, as LLaVA trains). Step s is 0-based: the rate
/// applied by the (s+1)-th optimizer step.</summary>
public sealed record CosineSchedule(double PeakLearningRate, int WarmupSteps, int TotalSteps)
{
    public double At(int step)
    {
        if (step < WarmupSteps) return PeakLearningRate * (step + 1) / WarmupSteps;
        var span = Math.Max(1, TotalSteps - WarmupSteps);
        var progress = Math.Min(1.0, (double)(step - WarmupSteps) / span);
        return PeakLearningRate * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
