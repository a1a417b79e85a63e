namespace EdgeLstm.Data;

/// <summary>What a data set loader does with the directory's <c>MD5SUMS</c> file.</summary>
public enum ChecksumPolicy
{
    /// <summary>Check the files that <c>MD5SUMS</c> lists, when there is one (any directory in the MNIST layout).</summary>
    VerifyIfListed = 0,

    /// <summary><c>MD5SUMS</c> must exist and list every file that is read (the bundled set).</summary>
    Require = 1,

    /// <summary>Check nothing.</summary>
    Skip = 2,
}
