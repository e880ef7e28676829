"""The Java exceptions a WebHDFS server reports, with Hadoop's HTTP status for each."""


class RemoteError(Exception):
    """An error sent to the client as a `RemoteException` JSON body."""

    java_class = "java.lang.RuntimeException"
    status = 500

    @property
    def exception(self) -> str:
        return self.java_class.rsplit(".", 1)[-1]

    def body(self) -> dict[str, dict[str, str]]:
        return {
            "RemoteException": {
                "exception": self.exception,
                "javaClassName": self.java_class,
                "message": str(self),
            }
        }


class IllegalArgument(RemoteError):
    java_class = "java.lang.IllegalArgumentException"
    status = 400


class HadoopIllegalArgument(IllegalArgument):
    java_class = "org.apache.hadoop.HadoopIllegalArgumentException"


class InvalidPath(IllegalArgument):
    java_class = "org.apache.hadoop.fs.InvalidPathException"


class IOFailure(RemoteError):
    java_class = "java.io.IOException"
    status = 403


class FileNotFound(RemoteError):
    java_class = "java.io.FileNotFoundException"
    status = 404


class AccessControl(IOFailure):
    java_class = "org.apache.hadoop.security.AccessControlException"


class Authorization(IOFailure):
    java_class = "org.apache.hadoop.security.authorize.AuthorizationException"


class SnapshotAccessControl(IOFailure):
    java_class = "org.apache.hadoop.hdfs.protocol.SnapshotAccessControlException"


class FileAlreadyExists(IOFailure):
    java_class = "org.apache.hadoop.fs.FileAlreadyExistsException"


class ParentNotDirectory(IOFailure):
    java_class = "org.apache.hadoop.fs.ParentNotDirectoryException"


class PathIsNotEmptyDirectory(IOFailure):
    java_class = "org.apache.hadoop.fs.PathIsNotEmptyDirectoryException"


class SnapshotFailure(IOFailure):
    java_class = "org.apache.hadoop.hdfs.protocol.SnapshotException"


class AclFailure(IOFailure):
    java_class = "org.apache.hadoop.hdfs.protocol.AclException"


class SocketTimeout(IOFailure):
    java_class = "java.net.SocketTimeoutException"


class Retriable(IOFailure):
    java_class = "org.apache.hadoop.ipc.RetriableException"


class QuotaExceeded(IOFailure):
    java_class = "org.apache.hadoop.hdfs.protocol.QuotaExceededException"


class NSQuotaExceeded(QuotaExceeded):
    java_class = "org.apache.hadoop.hdfs.protocol.NSQuotaExceededException"


class DSQuotaExceeded(QuotaExceeded):
    java_class = "org.apache.hadoop.hdfs.protocol.DSQuotaExceededException"


class TypeQuotaExceeded(QuotaExceeded):
    java_class = "org.apache.hadoop.hdfs.protocol.QuotaByStorageTypeExceededException"
