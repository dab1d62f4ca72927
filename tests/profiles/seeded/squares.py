"""A seed job: the squares of 0..99 as Parquet, written beside and renamed into place."""
import sys

from pyspark.sql import SparkSession

target = sys.argv[1]
spark = SparkSession.builder.appName("seed-squares").getOrCreate()
tmp = target + ".tmp"
spark.range(100).selectExpr("id", "id * id AS square").write.mode("overwrite").parquet("hdfs://devenv" + tmp)
fs = spark._jvm.org.apache.hadoop.fs
path = fs.Path("hdfs://devenv" + target)
hdfs = path.getFileSystem(spark._jsc.hadoopConfiguration())
hdfs.delete(path, True)
hdfs.rename(fs.Path("hdfs://devenv" + tmp), path)
print("squares", spark.read.parquet("hdfs://devenv" + target).count())
spark.stop()
