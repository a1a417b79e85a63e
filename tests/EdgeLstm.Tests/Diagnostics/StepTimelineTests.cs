using EdgeLstm.Diagnostics;
using EdgeLstm.Engine;
using EdgeLstm.Inference;
using EdgeLstm.Model;
using EdgeLstm.Tests.Engine;

namespace EdgeLstm.Tests.Diagnostics;

/// <summary>
/// The step timeline behind the perf tool's <c>steps</c> mode: while it records, every part of every unit-split step
/// leaves each of its marks (the breakdown is computed from them); when it is stopped, steps leave none. The recording
/// is process-wide and other tests run beside this one, so it asserts only what their marks cannot hide.
/// </summary>
public class StepTimelineTests
{
    [Fact]
    public void A_recording_holds_every_point_of_every_part_of_every_split_step_and_a_stopped_one_grows_no_more()
    {
        const int steps = 11, hidden = 128;
        var model = TestModels.Make(new LstmConfig(5, hidden, 2, 4, steps), 91);
        var x = TestModels.Inputs(1, steps, 5, 92);
        var probabilities = new float[4];
        using var context = new ComputeContext(2);
        using var predictor = new LstmPredictor(model, context);

        StepTimeline.Start(parts: 2, marksPerPart: 100_000);
        predictor.Predict(x, 1, probabilities);
        StepTimeline.Stop();
        var marks = StepTimeline.Marks().Select(m => (m.Point, m.Part, m.Step)).ToHashSet();
        Assert.Equal(2 * steps, context.UnitSplitStep.StepsRun);
        StepTimeline.Point[] points = [StepTimeline.Point.Start, StepTimeline.Point.ProductDone, StepTimeline.Point.CellDone, StepTimeline.Point.Published, StepTimeline.Point.AllPublished];
        foreach (var point in points)
        {
            for (int part = 0; part < 2; part++)
            {
                for (int t = 0; t < steps; t++)
                {
                    Assert.Contains((point, part, t), marks);
                }
            }
        }

        int recorded = StepTimeline.Marks().Count;
        predictor.Predict(x, 1, probabilities);
        Assert.Equal(recorded, StepTimeline.Marks().Count);
    }
}
