namespace EdgeLstm.Fuzz.Targets;

/// <summary>Every reader of outside bytes the fuzz stage covers. A new reader joins by adding its target here.</summary>
internal static class Targets
{
    public static IReadOnlyList<FuzzTarget> All(string scratch) =>
    [
        new ModelFileTarget(),
        new CheckpointFileTarget(),
        new Int8TensorsTarget(),
        new Int8ModelFileTarget(),
        new IdxTarget(images: true, gzip: false),
        new IdxTarget(images: true, gzip: true),
        new IdxTarget(images: false, gzip: false),
        new IdxTarget(images: false, gzip: true),
        new MnistDirectoryTarget(checksums: false, scratch),
        new MnistDirectoryTarget(checksums: true, scratch),
        new PgmTarget(),
        new SequenceCsvTarget(byName: true),
        new SequenceCsvTarget(byName: false),
        new TimeSeriesCsvTarget(),
        new NumpyTarget(npz: true),
        new NumpyTarget(npz: false),
    ];
}
