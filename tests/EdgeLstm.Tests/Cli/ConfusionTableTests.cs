using EdgeLstm.Cli.Commands;
using EdgeLstm.Inference;
using EdgeLstm.Model;

namespace EdgeLstm.Tests.Cli;

/// <summary>
/// The confusion table of <c>evaluate</c> stays proportional to what the data shows, not to the model's class count:
/// a model with the most classes allowed used to print classes² cells (about 100 MB of text at 4096 classes).
/// </summary>
public class ConfusionTableTests
{
    [Fact]
    public void Only_the_classes_that_occur_are_drawn()
    {
        var result = new EvaluationResult(ModelLimits.MaxClasses);
        result.Add(3, 3);
        result.Add(3, 4000);
        result.Add(7, 7);

        string table = EvaluateCommand.ConfusionTable(result);

        Assert.Contains($"(the 3 of the model's {ModelLimits.MaxClasses} classes that occur as a label or a prediction)", table, StringComparison.Ordinal);
        Assert.Equal(5, table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // the note, the header and 3 rows
        Assert.Contains(" 4000", table, StringComparison.Ordinal);
        Assert.DoesNotContain(" 3999", table, StringComparison.Ordinal);
    }

    [Fact]
    public void Past_the_matrix_limit_each_label_gets_one_line()
    {
        var result = new EvaluationResult(ModelLimits.MaxClasses);
        for (int c = 0; c < ModelLimits.MaxClasses; c++)
        {
            result.Add(c, (c + 1) % ModelLimits.MaxClasses);
        }

        string table = EvaluateCommand.ConfusionTable(result);

        string[] lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"{ModelLimits.MaxClasses} classes occur (more than {EvaluateCommand.MaxMatrixClasses})", lines[0], StringComparison.Ordinal);
        Assert.Equal(ModelLimits.MaxClasses + 2, lines.Length);
        Assert.True(table.Length < 40 * (ModelLimits.MaxClasses + 2), $"{table.Length} characters");
    }

    [Fact]
    public void Ten_classes_keep_the_full_matrix()
    {
        var result = new EvaluationResult(10);
        for (int c = 0; c < 10; c++)
        {
            result.Add(c, c);
        }

        string table = EvaluateCommand.ConfusionTable(result);

        Assert.DoesNotContain("occur", table, StringComparison.Ordinal);
        Assert.Equal(11, table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
